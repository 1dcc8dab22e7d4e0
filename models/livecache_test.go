package models

import (
	"testing"
	"time"
)

func TestLiveCacheRules(t *testing.T) {
	t.Parallel()
	now := time.Now()
	live := SessionState{UserID: 1, UserActive: true, ExpiresAt: now.Add(time.Hour)}
	tests := []struct {
		name string
		st   SessionState
		// between runs after the reader took its generation and before put.
		between func(c *liveCache)
		// after runs once the entry is stored.
		after func(c *liveCache)
		at    time.Time
		want  bool
	}{
		{"live session is served", live, nil, nil, now, true},
		{"revoked is never kept", SessionState{UserID: 1, UserActive: true, Revoked: true, ExpiresAt: live.ExpiresAt}, nil, nil, now, false},
		{"inactive user is never kept", SessionState{UserID: 1, ExpiresAt: live.ExpiresAt}, nil, nil, now, false},
		{"a write committed during the read", live, (*liveCache).changed, nil, now, false},
		{"a write committed after", live, nil, (*liveCache).changed, now, false},
		{"past the stored expiry", live, nil, nil, live.ExpiresAt, false},
		{"older than the max age", live, nil, nil, now.Add(liveCacheMaxAge), false},
		{"clock stepped back", live, nil, nil, now.Add(-time.Millisecond), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newLiveCache()
			gen := c.gen.Load()
			if tt.between != nil {
				tt.between(c)
			}
			c.put("sid", tt.st, gen, now)
			if tt.after != nil {
				tt.after(c)
			}
			if _, ok := c.get("sid", tt.at); ok != tt.want {
				t.Fatalf("served = %v, want %v", ok, tt.want)
			}
		})
	}
}

func TestLiveCacheBounded(t *testing.T) {
	t.Parallel()
	now := time.Now()
	c := newLiveCache()
	c.limit = 10
	st := SessionState{UserID: 1, UserActive: true, ExpiresAt: now.Add(time.Hour)}
	for i := range 100 {
		c.put(string(rune('a'+i%26))+time.Duration(i).String(), st, c.gen.Load(), now)
	}
	if len(c.m) > 10 {
		t.Fatalf("%d entries, limit 10", len(c.m))
	}
}

// A nil cache (PostgreSQL) takes changed calls.
func TestLiveCacheNil(t *testing.T) {
	t.Parallel()
	var c *liveCache
	c.changed()
}
