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

// OWASP's password storage cheat sheet: argon2id, m=19 MiB, t=2, p=1.
var OWASP = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// ErrMalformedHash means a stored hash could not be parsed.
var ErrMalformedHash = errors.New("passwords: malformed hash")

// Hasher hashes and verifies passwords on a pool bounded by the number of
// CPUs. argon2id is deliberately expensive (tens of milliseconds and 19 MiB
// each); without the bound a login flood would run hundreds at once, take
// every core and gigabytes of memory, and starve token verification. With it,
// extra logins wait in line (or give up when their request is cancelled).
//
// The bound alone is not enough on a small machine: with one hash per CPU
// running, Go's scheduler has no priorities, so a token check waits for a
// hash to be preempted (every 10 ms) and queues behind every other such wait.
// So one of the slots is a spare, taken only while token checks are quiet:
// a login flood with API traffic alongside hashes on NumCPU-1 cores and
// leaves a core to the token checks; a login flood alone uses every core.
type Hasher struct {
	params Params
	slots  chan struct{} // always usable
	spare  chan struct{} // nil, or one slot usable while token checks are quiet
	quiet  time.Duration
	// lastCheck is when the last token check arrived, as nanoseconds since
	// epoch (a monotonic reading, so clock steps do not matter).
	lastCheck atomic.Int64
	epoch     time.Time
	// dummy is a real hash of a random password, verified for unknown users so
	// that "no such user" costs the same time as "wrong password".
	dummy string
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
	h := &Hasher{params: p, quiet: QuietAfter, epoch: time.Now()}
	if workers >= 2 {
		h.slots = make(chan struct{}, workers-1)
		h.spare = make(chan struct{}, 1)
	} else {
		h.slots = make(chan struct{}, workers)
	}
	// Quiet from the start.
	h.lastCheck.Store(-int64(h.quiet))
	var pw [16]byte
	_, _ = rand.Read(pw[:])
	h.dummy = h.hashNow(pw[:])
	return h
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

// isQuiet reports whether no token check arrived for QuietAfter, and if not,
// how long until that could be so.
func (h *Hasher) isQuiet() (bool, time.Duration) {
	left := h.quiet - (time.Since(h.epoch) - time.Duration(h.lastCheck.Load()))
	return left <= 0, left
}

// acquire takes a slot, waiting until one is free, and returns the channel to
// give it back to.
func (h *Hasher) acquire(ctx context.Context) (chan struct{}, error) {
	for {
		select {
		case h.slots <- struct{}{}:
			return h.slots, nil
		default:
		}
		var spare chan struct{} // nil: never ready in the selects below
		var recheck <-chan time.Time
		var timer *time.Timer
		if h.spare != nil {
			if quiet, left := h.isQuiet(); quiet {
				spare = h.spare
				select {
				case spare <- struct{}{}:
					return spare, nil
				default:
				}
			} else {
				// Token checks may stop while this login waits.
				timer = time.NewTimer(left)
				recheck = timer.C
			}
		}
		select {
		case h.slots <- struct{}{}:
			stopTimer(timer)
			return h.slots, nil
		case spare <- struct{}{}:
			// Token checks may have started while this login waited.
			if quiet, _ := h.isQuiet(); !quiet {
				<-spare
				continue
			}
			return spare, nil
		case <-recheck:
		case <-ctx.Done():
			stopTimer(timer)
			return nil, fmt.Errorf("wait for hashing slot: %w", ctx.Err())
		}
	}
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

// Hash returns the encoded argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	slot, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer func() { <-slot }()
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
	slot, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer func() { <-slot }()
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
