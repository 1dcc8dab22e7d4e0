package models

import (
	"sync"
	"sync/atomic"
	"time"
)

// liveCache remembers sessions found live, so that the verify endpoint, which
// must check on every call that the token's session is still live, does not
// read the database each time for the same session. It is the SQLite
// deployment's: one process owns the database and every write that can end
// a session goes through this Store, which calls changed after each such
// write commits. (On PostgreSQL other instances revoke sessions too, so
// there is no cache there.)
//
// The rules that keep it exact:
//   - Only live answers are kept (session not revoked, user active); anything
//     else is read from the database every time.
//   - An entry answers only while its generation is current. Every write that
//     could end a session or deactivate a user bumps the generation after it
//     commits, and a reader takes the generation before its query, so a
//     reader that raced a revocation stores an entry that is already stale.
//   - An entry answers only before the session's stored expiry (a rotation
//     that extended it makes the entry look older, which costs one read, never
//     a wrong "live").
//   - An entry answers for at most maxAge, which bounds how late a change
//     made by another process (authsvc changepassword on the same file) is
//     seen.
type liveCache struct {
	gen   atomic.Uint64
	mu    sync.RWMutex
	m     map[string]liveEntry
	limit int
}

type liveEntry struct {
	st       SessionState
	gen      uint64
	loadedAt time.Time
}

const (
	// liveCacheLimit bounds the entries (each well under 200 bytes); when full,
	// the map is dropped and refilled, which costs one read per session.
	liveCacheLimit = 16384
	// liveCacheMaxAge bounds how long a change by another process can go
	// unseen.
	liveCacheMaxAge = time.Second
)

func newLiveCache() *liveCache {
	return &liveCache{m: make(map[string]liveEntry), limit: liveCacheLimit}
}

// get returns a cached live state of sid usable at now.
func (c *liveCache) get(sid string, now time.Time) (SessionState, bool) {
	c.mu.RLock()
	e, ok := c.m[sid]
	c.mu.RUnlock()
	if !ok || e.gen != c.gen.Load() || !now.Before(e.st.ExpiresAt) || now.Sub(e.loadedAt) >= liveCacheMaxAge || now.Before(e.loadedAt) {
		return SessionState{}, false
	}
	return e.st, true
}

// put keeps st, read at generation gen (taken before the query), if it is a
// live answer and no write has landed since.
func (c *liveCache) put(sid string, st SessionState, gen uint64, now time.Time) {
	if st.Revoked || !st.UserActive || !now.Before(st.ExpiresAt) {
		return
	}
	c.mu.Lock()
	if c.gen.Load() == gen {
		if len(c.m) >= c.limit {
			clear(c.m)
		}
		c.m[sid] = liveEntry{st: st, gen: gen, loadedAt: now}
	}
	c.mu.Unlock()
}

// changed invalidates every entry. Callers defer it around a write, so it
// runs once the write has committed (or failed, which costs nothing).
func (c *liveCache) changed() {
	if c != nil {
		c.gen.Add(1)
	}
}
