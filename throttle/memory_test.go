package throttle_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"authsvc/throttle"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// start is 13 s into a minute, so a one-minute window has 47 s left.
var start = time.Date(2026, 1, 2, 3, 4, 13, 0, time.UTC)

// exercise checks the Limiter contract; both implementations run it.
func exercise(t *testing.T, l throttle.Limiter, clock *fakeClock, key string) {
	ctx := context.Background()
	for i := int64(1); i <= 3; i++ {
		h, err := l.Hit(ctx, key, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if h.Count != i {
			t.Fatalf("hit %d: count %d", i, h.Count)
		}
		if want := start.Truncate(time.Minute).Add(time.Minute); !h.Reset.Equal(want) {
			t.Fatalf("reset %v, want %v", h.Reset, want)
		}
		if got := throttle.RetryAfter(clock.Now(), h.Reset); got != 47 {
			t.Fatalf("retry after %d, want 47", got)
		}
	}
	// Undo takes back exactly one.
	h, _ := l.Hit(ctx, key, time.Minute)
	if err := l.Undo(ctx, h); err != nil {
		t.Fatal(err)
	}
	if h, _ = l.Hit(ctx, key, time.Minute); h.Count != 4 {
		t.Fatalf("after undo: count %d, want 4", h.Count)
	}
	// Another key is independent.
	if o, _ := l.Hit(ctx, key+"-other", time.Minute); o.Count != 1 {
		t.Fatalf("other key count %d", o.Count)
	}
	// An Undo that arrives after the window moved on touches the old window
	// only, never the new one.
	clock.Advance(47 * time.Second)
	n, _ := l.Hit(ctx, key, time.Minute)
	if n.Count != 1 {
		t.Fatalf("new window count %d, want 1", n.Count)
	}
	if err := l.Undo(ctx, h); err != nil {
		t.Fatal(err)
	}
	if n, _ = l.Hit(ctx, key, time.Minute); n.Count != 2 {
		t.Fatalf("late undo leaked into the new window: count %d", n.Count)
	}
}

func TestMemoryLimiter(t *testing.T) {
	t.Parallel()
	c := &fakeClock{t: start}
	exercise(t, throttle.NewMemory(c.Now, 0), c, "k")
}

func TestMemoryDropsExpiredWindows(t *testing.T) {
	t.Parallel()
	c := &fakeClock{t: start}
	m := throttle.NewMemory(c.Now, 0)
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		m.Hit(ctx, string(rune('a'+i%26))+string(rune(i)), time.Minute)
	}
	if m.Len() != 1000 {
		t.Fatalf("len %d", m.Len())
	}
	c.Advance(2 * time.Minute)
	m.Hit(ctx, "fresh", time.Minute)
	if m.Len() != 1 {
		t.Fatalf("expired windows kept: len %d, want 1", m.Len())
	}
}

func TestMemoryCap(t *testing.T) {
	t.Parallel()
	c := &fakeClock{t: start}
	m := throttle.NewMemory(c.Now, 100)
	ctx := context.Background()
	for i := 0; i < 10000; i++ {
		m.Hit(ctx, string(rune(i+1)), time.Minute)
	}
	if m.Len() > 100 {
		t.Fatalf("cap exceeded: len %d", m.Len())
	}
}

func TestMemoryConcurrentHitsAreCounted(t *testing.T) {
	t.Parallel()
	c := &fakeClock{t: start}
	m := throttle.NewMemory(c.Now, 0)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); m.Hit(context.Background(), "k", time.Minute) }()
	}
	wg.Wait()
	if h, _ := m.Hit(context.Background(), "k", time.Minute); h.Count != 51 {
		t.Fatalf("count %d, want 51", h.Count)
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	t.Parallel()
	now := start
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{{47 * time.Second, 47}, {46*time.Second + time.Millisecond, 47}, {0, 1}, {-time.Second, 1}} {
		if got := throttle.RetryAfter(now, now.Add(tc.d)); got != tc.want {
			t.Errorf("RetryAfter(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

func TestIPKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"203.0.113.9":          "203.0.113.9",
		"::ffff:203.0.113.9":   "203.0.113.9",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"not-an-ip":            "not-an-ip",
	} {
		if got := throttle.IPKey(in); got != want {
			t.Errorf("IPKey(%q) = %q, want %q", in, got, want)
		}
	}
}
