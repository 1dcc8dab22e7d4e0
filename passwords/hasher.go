// Package passwords hashes and checks passwords (argon2id, plus Django's
// PBKDF2 format for imported users) and applies the password policy.
package passwords

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters. They are encoded into every hash, so
// raising them later upgrades old hashes on the next successful login.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// OWASP's password storage cheat sheet: argon2id, m=19 MiB, t=2, p=1.
var OWASP = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// ErrMalformedHash means a stored hash could not be parsed.
var ErrMalformedHash = errors.New("passwords: malformed hash")

// Hasher hashes and verifies passwords on a pool bounded by the number of
// CPUs. argon2id is deliberately expensive (tens of milliseconds and 19 MiB
// each); without the bound a login flood would run hundreds at once, take
// every core and gigabytes of memory, and starve token verification. With it,
// extra logins wait in line (or give up when their request is cancelled).
type Hasher struct {
	params Params
	slots  chan struct{}
	// dummy is a real hash of a random password, verified for unknown users so
	// that "no such user" costs the same time as "wrong password".
	dummy string
}

// NewHasher returns a Hasher with the given parameters and at most workers
// hashes in flight (0 means runtime.NumCPU()).
func NewHasher(p Params, workers int) *Hasher {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	h := &Hasher{params: p, slots: make(chan struct{}, workers)}
	var pw [16]byte
	_, _ = rand.Read(pw[:])
	h.dummy = h.hashNow(pw[:])
	return h
}

// Params returns the parameters new hashes get.
func (h *Hasher) Params() Params { return h.params }

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for hashing slot: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the encoded argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return h.hashNow([]byte(password)), nil
}

func (h *Hasher) hashNow(password []byte) string {
	salt := make([]byte, h.params.SaltLen)
	_, _ = rand.Read(salt)
	key := argon2.IDKey(password, salt, h.params.Time, h.params.Memory, h.params.Threads, h.params.KeyLen)
	return encodeArgon2(h.params, salt, key)
}

// Verify reports whether password matches encoded. needsRehash is true when the
// hash uses other parameters or another algorithm (an imported Django hash), so
// the caller can store a fresh hash after a successful login. An empty encoded
// (unknown user, unusable password) is checked against a dummy hash so the
// time taken does not reveal which case it was, and never matches.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	if encoded == "" {
		_, _, _ = verifyArgon2(password, h.dummy)
		return false, false, nil
	}
	if strings.HasPrefix(encoded, "pbkdf2_sha256$") {
		ok, err := verifyDjangoPBKDF2(password, encoded)
		return ok, ok, err
	}
	ok, p, err := verifyArgon2(password, encoded)
	if err != nil {
		// Spend the same time as a real check before failing.
		_, _, _ = verifyArgon2(password, h.dummy)
		return false, false, err
	}
	return ok, ok && p != h.params, nil
}

func encodeArgon2(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func verifyArgon2(password, encoded string) (bool, Params, error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, Params{}, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, Params{}, ErrMalformedHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, Params{}, ErrMalformedHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, Params{}, ErrMalformedHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) == 0 || p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return false, Params{}, ErrMalformedHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, p, nil
}
