package passwords

import (
	"crypto/pbkdf2"
	"crypto/sha256"

	"golang.org/x/crypto/argon2"
)

// Work is the hashing a Hasher has done since it was made.
type Work struct {
	// Argon2 is the number of argon2id computations; Argon2Cost sums
	// memory (KiB) × passes over them, which is what their time scales with.
	Argon2, Argon2Cost int64
	// PBKDF2Iterations sums the iterations of every PBKDF2 computation.
	PBKDF2Iterations int64
}

// Sub is the work done between an earlier snapshot and w.
func (w Work) Sub(earlier Work) Work {
	return Work{Argon2: w.Argon2 - earlier.Argon2, Argon2Cost: w.Argon2Cost - earlier.Argon2Cost,
		PBKDF2Iterations: w.PBKDF2Iterations - earlier.PBKDF2Iterations}
}

// Work returns the hashing done so far.
func (h *Hasher) Work() Work {
	return Work{Argon2: h.argon2Ops.Load(), Argon2Cost: h.argon2Cost.Load(), PBKDF2Iterations: h.pbkdf2Iterations.Load()}
}

// argon2Key is argon2.IDKey, counted.
func (h *Hasher) argon2Key(password, salt []byte, p Params) []byte {
	h.argon2Ops.Add(1)
	h.argon2Cost.Add(int64(p.Memory) * int64(p.Time))
	return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// pbkdf2Key is PBKDF2-HMAC-SHA256, counted.
func (h *Hasher) pbkdf2Key(password string, salt []byte, iterations, keyLen int) ([]byte, error) {
	h.pbkdf2Iterations.Add(int64(iterations))
	return pbkdf2.Key(sha256.New, password, salt, iterations, keyLen)
}
