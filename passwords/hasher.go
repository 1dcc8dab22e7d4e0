// Package passwords hashes and checks passwords (argon2id, plus Django's
// PBKDF2 format for imported users) and applies the password policy.
package passwords

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
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

	// now is the clock of the quiet interval (HasherOptions.Now).
	now func() time.Time
	// lastCheck is when the last token check arrived, as nanoseconds since
	// epoch on that clock (see sinceEpoch).
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

// HasherOptions configure NewHasherWith.
type HasherOptions struct {
	// Workers bounds the hashes in flight (0: runtime.NumCPU()). With two
	// or more, the last one only runs while token checks are quiet (see
	// TokenCheck).
	Workers int
	// Now is the clock the quiet interval after a token check is measured
	// on (nil: time.Now). It is scheduling time, not the service's business
	// clock: tests move it to open and close the spare slot without sleeping.
	Now func() time.Time
}

// NewHasher returns a Hasher with the given parameters and at most workers
// hashes in flight (0 means runtime.NumCPU()), on the real clock.
func NewHasher(p Params, workers int) *Hasher {
	return NewHasherWith(p, HasherOptions{Workers: workers})
}

// NewHasherWith returns a Hasher with the given parameters and options.
func NewHasherWith(p Params, o HasherOptions) *Hasher {
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &Hasher{params: p, workers: o.Workers, quiet: QuietAfter, now: o.Now}
	h.epoch = h.now()
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
