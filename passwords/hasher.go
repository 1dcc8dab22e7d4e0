// Package passwords hashes and checks passwords (argon2id, plus Django's
// PBKDF2 format for imported users) and applies the password policy.
package passwords

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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

// OWASP is one of the argon2id settings the OWASP password storage cheat
// sheet lists as giving equal defence (46 MiB t=1, 19 MiB t=2, 12 MiB t=3,
// 9 MiB t=4, 7 MiB t=5, all p=1): m=12 MiB, t=3, p=1. Measured on the 2-core
// machine it hashes 17% faster than 19 MiB t=2 and holds a third less memory
// per login in flight, which is what a login flood costs.
var OWASP = Params{Memory: 12 * 1024, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32}

// ErrMalformedHash means a stored hash could not be parsed.
var ErrMalformedHash = errors.New("passwords: malformed hash")

// Hasher hashes and verifies passwords on a pool bounded by the number of
// CPUs. argon2id is deliberately expensive (tens of milliseconds and 12 MiB
// each); without the bound a login flood would run hundreds at once, take
// every core and gigabytes of memory, and starve token verification. With it,
// extra logins wait in line, first come first served (or give up when their
// request is cancelled).
//
// The bound alone is not enough on a small machine: with one hash per CPU
// running, Go's scheduler has no priorities, so a token check waits for a
// hash to be preempted (every 10 ms) and queues behind every other such wait.
// So the last slot is a spare, used only while token checks are quiet: a
// login flood with API traffic alongside hashes on NumCPU-1 cores and leaves
// a core to the token checks; a login flood alone uses every core.
type Hasher struct {
	params  Params
	workers int
	quiet   time.Duration

	mu      sync.Mutex
	running int
	queue   []chan struct{} // waiting hashes, oldest first; closed when granted

	// lastCheck is when the last token check arrived, as nanoseconds since
	// epoch (a monotonic reading, so clock steps do not matter).
	lastCheck atomic.Int64
	epoch     time.Time
	// dummy is a real hash of a random password, verified for unknown users so
	// that "no such user" costs the same time as "wrong password".
	dummy string

	// pendingPBKDF2 is the highest iteration count of the Django PBKDF2
	// hashes still stored (0: none), as last counted (SetPendingPBKDF2).
	// While it is above 0 every failed check costs one argon2id hash with
	// today's parameters plus this many PBKDF2 iterations, whatever kind of
	// hash (or none) it ran against; see Verify.
	pendingPBKDF2 atomic.Int64
	// dummySalt salts the padding PBKDF2.
	dummySalt []byte

	// work counts the hashing done, so a test can show that two paths cost
	// the same without timing them on a busy machine.
	argon2Ops, argon2Cost, pbkdf2Iterations atomic.Int64
}

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

// QuietAfter is how long after the last token check the spare hashing slot
// becomes usable again.
const QuietAfter = 100 * time.Millisecond

// NewHasher returns a Hasher with the given parameters and at most workers
// hashes in flight (0 means runtime.NumCPU()). With two or more workers, the
// last one only runs while token checks are quiet (see TokenCheck).
func NewHasher(p Params, workers int) *Hasher {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	h := &Hasher{params: p, workers: workers, quiet: QuietAfter, epoch: time.Now()}
	// Quiet from the start.
	h.lastCheck.Store(-int64(h.quiet))
	var pw [16]byte
	_, _ = rand.Read(pw[:])
	h.dummy = h.hashNow(pw[:])
	h.dummySalt = make([]byte, 12)
	_, _ = rand.Read(h.dummySalt)
	return h
}

// SetPendingPBKDF2 records the highest iteration count among the imported
// Django PBKDF2 hashes still waiting for their upgrade (0: none left), so a
// failed check costs what a check against the slowest of them would; see
// Verify. Counts above what Verify runs (MaxPBKDF2Iterations) are capped:
// such hashes are refused as malformed, at the cost of the padding alone,
// so they must not set it.
func (h *Hasher) SetPendingPBKDF2(iterations int) {
	h.pendingPBKDF2.Store(int64(min(max(iterations, 0), MaxPBKDF2Iterations)))
}

// padFailure makes a failed check cost one argon2id hash with today's
// parameters plus the pending PBKDF2 iterations, given the work it has done
// already: argon2 (an argon2id hash was computed) and pbkdf2Done (the
// iterations of the user's own PBKDF2 hash).
func (h *Hasher) padFailure(password string, argon2 bool, pbkdf2Done int) {
	if !argon2 {
		_, _, _ = h.verifyArgon2(password, h.dummy)
	}
	if n := int(h.pendingPBKDF2.Load()) - pbkdf2Done; n > 0 {
		_, _ = h.pbkdf2Key(password, h.dummySalt, n, sha256.Size)
	}
}

// Params returns the parameters new hashes get.
func (h *Hasher) Params() Params { return h.params }

// TokenCheck tells the hasher that a token check (a request that must stay
// fast) has arrived, which keeps the spare slot free for QuietAfter. It is
// on every authenticated request, so it writes the shared word at most once
// a millisecond.
func (h *Hasher) TokenCheck() {
	now := int64(time.Since(h.epoch))
	if now-h.lastCheck.Load() > int64(time.Millisecond) {
		h.lastCheck.Store(now)
	}
}

// limit is how many hashes may run now: all workers while token checks are
// quiet, one fewer (but at least one) while they arrive.
func (h *Hasher) limit() int {
	if h.workers < 2 || time.Since(h.epoch)-time.Duration(h.lastCheck.Load()) >= h.quiet {
		return h.workers
	}
	return h.workers - 1
}

// acquire waits for a hashing slot, in arrival order.
func (h *Hasher) acquire(ctx context.Context) error {
	h.mu.Lock()
	if len(h.queue) == 0 && h.running < h.limit() {
		h.running++
		h.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	h.queue = append(h.queue, ch)
	h.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		h.mu.Lock()
		defer h.mu.Unlock()
		for i, w := range h.queue {
			if w == ch {
				h.queue = append(h.queue[:i], h.queue[i+1:]...)
				return fmt.Errorf("wait for hashing slot: %w", ctx.Err())
			}
		}
		// Granted just as the request gave up: pass the slot on.
		h.running--
		h.grantLocked()
		return fmt.Errorf("wait for hashing slot: %w", ctx.Err())
	}
}

// release frees a slot and starts the waiting hashes it allows. A spare slot
// that became usable (token checks went quiet) is taken up here, at the
// next hash to finish.
func (h *Hasher) release() {
	h.mu.Lock()
	h.running--
	h.grantLocked()
	h.mu.Unlock()
}

func (h *Hasher) grantLocked() {
	for len(h.queue) > 0 && h.running < h.limit() {
		close(h.queue[0])
		h.queue[0] = nil
		h.queue = h.queue[1:]
		h.running++
	}
}

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
	key := h.argon2Key(password, salt, h.params)
	return encodeArgon2(h.params, salt, key)
}

// Verify reports whether password matches encoded. needsRehash is true when the
// hash uses other parameters or another algorithm (an imported Django hash), so
// the caller can store a fresh hash after a successful login. An empty encoded
// (unknown user, unusable password) never matches.
//
// Every check that fails costs the same work, so its time does not tell an
// attacker what kind of user (if any) the name belongs to: one argon2id hash
// with today's parameters, plus, while imported Django hashes wait for their
// upgrade, PBKDF2 for the highest iteration count among them
// (SetPendingPBKDF2), at most MaxPBKDF2Iterations. An unknown user or a
// wrong password for an argon2 user is padded with the PBKDF2; a wrong
// password for a PBKDF2 user with an argon2id hash and the iterations its
// own hash had fewer than the highest.
// Without this, a not-yet-upgraded PBKDF2 user (about 100 ms at Django's
// 600,000 iterations) stood out from an unknown one (one argon2id hash).
// Successes are not padded: a success is told apart by its answer anyway.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	if encoded == "" {
		h.padFailure(password, false, 0)
		return false, false, nil
	}
	if strings.HasPrefix(encoded, "pbkdf2_sha256$") {
		ok, done, err := h.verifyDjangoPBKDF2(password, encoded)
		if !ok {
			h.padFailure(password, false, done)
		}
		return ok, ok, err
	}
	ok, p, err := h.verifyArgon2(password, encoded)
	if err != nil {
		// Spend the same as a real failed check before failing.
		h.padFailure(password, false, 0)
		return false, false, err
	}
	if !ok {
		h.padFailure(password, true, 0)
	}
	return ok, ok && p != h.params, nil
}

func encodeArgon2(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func (h *Hasher) verifyArgon2(password, encoded string) (bool, Params, error) {
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
	got := h.argon2Key([]byte(password), salt, p)
	return subtle.ConstantTimeCompare(got, key) == 1, p, nil
}
