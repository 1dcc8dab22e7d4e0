package throttle

import (
	"context"
	"sync"
	"time"
)

// DefaultMaxKeys bounds the in-memory limiter: about 100 bytes a key, so
// 64 MiB at worst.
const DefaultMaxKeys = 1 << 20

// Memory is a Limiter for a single instance. Expired windows are dropped by
// a sweep at most once per sweepEvery, so memory follows the keys active in
// the current windows, and MaxKeys caps it even under a flood of distinct
// keys (many source addresses, many usernames).
type Memory struct {
	now     func() time.Time
	maxKeys int

	mu        sync.Mutex
	buckets   map[string]*bucket
	nextSweep time.Time
}

type bucket struct {
	count   int64
	expires time.Time
}

const sweepEvery = 30 * time.Second

// NewMemory returns an in-memory limiter on the clock now (nil: time.Now)
// holding at most maxKeys windows (0: DefaultMaxKeys).
func NewMemory(now func() time.Time, maxKeys int) *Memory {
	if now == nil {
		now = time.Now
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Memory{now: now, maxKeys: maxKeys, buckets: make(map[string]*bucket)}
}

// Take implements Limiter.
func (m *Memory) Take(_ context.Context, key string, r Rule) (Hit, error) {
	now := m.now()
	name, reset := window(key, now, r.Window)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	b := m.buckets[name]
	var n int64
	if b != nil {
		n = b.count
	}
	if n >= r.Limit {
		return Hit{Count: n, Refused: true, Reset: reset}, nil
	}
	if b == nil {
		if len(m.buckets) >= m.maxKeys {
			m.evictOne()
		}
		b = &bucket{expires: reset}
		m.buckets[name] = b
	}
	b.count++
	return Hit{Count: b.count, Reset: reset, bucket: name}, nil
}

// Undo implements Limiter.
func (m *Memory) Undo(_ context.Context, h Hit) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b := m.buckets[h.bucket]; b != nil {
		if b.count--; b.count <= 0 {
			delete(m.buckets, h.bucket)
		}
	}
	return nil
}

// Len is the number of windows held (tests check that memory is bounded).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.buckets)
}

// sweep drops expired windows; m.mu is held.
func (m *Memory) sweep(now time.Time) {
	if now.Before(m.nextSweep) {
		return
	}
	m.nextSweep = now.Add(sweepEvery)
	for k, b := range m.buckets {
		if !now.Before(b.expires) {
			delete(m.buckets, k)
		}
	}
}

// evictOne makes room when the cap is reached within one window. Go's map
// iteration order is random, so the victim is random: an attacker who floods
// distinct keys cannot choose which counter is forgotten, and most live
// counters survive. m.mu is held.
func (m *Memory) evictOne() {
	for k := range m.buckets {
		delete(m.buckets, k)
		return
	}
}
