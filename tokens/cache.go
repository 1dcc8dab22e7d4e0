package tokens

import (
	"crypto/sha256"
	"sync"
	"time"
)

// verified remembers tokens that passed every check, so that a client calling
// again with the same access token (an SPA does, dozens of times in its 30
// minutes) costs a SHA-256 and a map lookup instead of two base64 decodes, a
// JSON decode and a signature check. Envoy's jwt_authn does the same.
//
// What it may not change: a token is only ever answered from the cache with
// the key set it was verified under (a rotation or retirement empties it in
// effect), and only while it is well inside its lifetime; near or past exp,
// or on any miss, the full check runs. Failures are never cached, nor are
// refresh tokens (each is presented once, then rotated away). Keys are
// SHA-256 digests, so the cache holds no usable token.
//
// Two generations bound the memory: when the current map is full it becomes
// the previous one and the one before is dropped, so a hot token survives a
// flip (it is copied forward on its next hit) and at most 2*limit entries are
// held.
type verified struct {
	mu    sync.RWMutex
	cur   map[[32]byte]*verifiedEntry
	prev  map[[32]byte]*verifiedEntry
	limit int
}

type verifiedEntry struct {
	claims Claims
	keys   *KeySet
	// until is when the entry stops answering: exp, less a margin that keeps
	// the exact expiry decision (with leeway) with the full check.
	until time.Time
}

// verifiedLimit is entries per generation: about 4k active clients answered
// from memory; each entry is about 300 bytes.
const verifiedLimit = 4096

// expiryMargin keeps tokens about to expire out of the cache's answers.
const expiryMargin = time.Second

func newVerified(limit int) *verified {
	return &verified{cur: make(map[[32]byte]*verifiedEntry, limit), limit: limit}
}

// get returns the cached claims of raw if they may still be used at now
// under keys.
func (v *verified) get(raw string, keys *KeySet, now time.Time) (*verifiedEntry, [32]byte, bool) {
	sum := sha256.Sum256([]byte(raw))
	v.mu.RLock()
	e, ok := v.cur[sum]
	inPrev := false
	if !ok {
		e, ok = v.prev[sum]
		inPrev = ok
	}
	v.mu.RUnlock()
	if !ok || e.keys != keys || !now.Before(e.until) {
		return nil, sum, false
	}
	if inPrev {
		v.put(sum, e)
	}
	return e, sum, true
}

func (v *verified) put(sum [32]byte, e *verifiedEntry) {
	v.mu.Lock()
	if len(v.cur) >= v.limit {
		v.prev, v.cur = v.cur, make(map[[32]byte]*verifiedEntry, v.limit)
	}
	v.cur[sum] = e
	v.mu.Unlock()
}
