package throttle_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"authsvc/internal/testserver"
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
		h, err := l.Take(ctx, key, big)
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
	h, _ := l.Take(ctx, key, big)
	if err := l.Undo(ctx, h); err != nil {
		t.Fatal(err)
	}
	if h, _ = l.Take(ctx, key, big); h.Count != 4 {
		t.Fatalf("after undo: count %d, want 4", h.Count)
	}
	// At the limit Take refuses, counts nothing, and says when to retry.
	for i := 0; i < 2; i++ {
		r, err := l.Take(ctx, key, throttle.Rule{Limit: 4, Window: time.Minute})
		if err != nil || !r.Refused || r.Count != 4 || throttle.RetryAfter(clock.Now(), r.Reset) != 47 {
			t.Fatalf("at the limit: %+v %v", r, err)
		}
	}
	if r, _ := l.Take(ctx, key, throttle.Rule{Limit: 5, Window: time.Minute}); r.Refused || r.Count != 5 {
		t.Fatalf("a refusal was counted: %+v", r)
	}
	// Another key is independent.
	if o, _ := l.Take(ctx, key+"-other", big); o.Count != 1 {
		t.Fatalf("other key count %d", o.Count)
	}
	// An Undo that arrives after the window moved on touches the old window
	// only, never the new one.
	clock.Advance(47 * time.Second)
	n, _ := l.Take(ctx, key, big)
	if n.Count != 1 {
		t.Fatalf("new window count %d, want 1", n.Count)
	}
	if err := l.Undo(ctx, h); err != nil {
		t.Fatal(err)
	}
	if n, _ = l.Take(ctx, key, big); n.Count != 2 {
		t.Fatalf("late undo leaked into the new window: count %d", n.Count)
	}
}

// big is a limit no test reaches.
var big = throttle.Rule{Limit: 1 << 40, Window: time.Minute}

func TestMemoryLimiter(t *testing.T) {
	t.Parallel()
	c := &fakeClock{t: start}
	exercise(t, throttle.NewMemory(c.Now, 0), c, "k")
}

// limiters are both implementations on a fixed clock (Redis only when one
// answers), for tests that hold for either.
func limiters(t *testing.T) map[string]throttle.Limiter {
	c := &fakeClock{t: start}
	client, prefix := testserver.Redis(t)
	return map[string]throttle.Limiter{
		"memory": throttle.NewMemory(c.Now, 0),
		"redis":  throttle.NewRedis(client, prefix, c.Now),
	}
}

// Refusals write nothing and a counter taken back to zero is deleted, so
// refused or uncounted requests leave no state for a flood to pile up.
func TestRefusedAndUndoneLeaveNoKeys(t *testing.T) {
	t.Parallel()
	c := &fakeClock{t: start}
	client, prefix := testserver.Redis(t)
	m := throttle.NewMemory(c.Now, 0)
	r := throttle.NewRedis(client, prefix, c.Now)
	ctx := context.Background()
	count := map[string]func() int{
		"memory": m.Len,
		"redis": func() int {
			keys, err := client.Keys(ctx, prefix+"*").Result()
			if err != nil {
				t.Fatal(err)
			}
			return len(keys)
		},
	}
	for name, l := range map[string]throttle.Limiter{"memory": m, "redis": r} {
		// Two in flight, both taken back: nothing left.
		a, _ := l.Take(ctx, "undone", big)
		b, _ := l.Take(ctx, "undone", big)
		l.Undo(ctx, a)
		l.Undo(ctx, b)
		if n := count[name](); n != 0 {
			t.Fatalf("%s: %d keys after every hit was undone", name, n)
		}
		// A zero limit refuses everything and creates nothing.
		for i := 0; i < 300; i++ {
			if h, _ := l.Take(ctx, string(rune('a'+i)), throttle.Rule{Limit: 0, Window: time.Minute}); !h.Refused {
				t.Fatalf("%s: limit 0 allowed an event", name)
			}
		}
		if n := count[name](); n != 0 {
			t.Fatalf("%s: %d keys after refusals only", name, n)
		}
	}
}

func TestMemoryDropsExpiredWindows(t *testing.T) {
	t.Parallel()
	c := &fakeClock{t: start}
	m := throttle.NewMemory(c.Now, 0)
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		m.Take(ctx, string(rune('a'+i%26))+string(rune(i)), big)
	}
	if m.Len() != 1000 {
		t.Fatalf("len %d", m.Len())
	}
	c.Advance(2 * time.Minute)
	m.Take(ctx, "fresh", big)
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
		m.Take(ctx, string(rune(i+1)), big)
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
		go func() { defer wg.Done(); m.Take(context.Background(), "k", big) }()
	}
	wg.Wait()
	if h, _ := m.Take(context.Background(), "k", big); h.Count != 51 {
		t.Fatalf("count %d, want 51", h.Count)
	}
}

// Fifty concurrent events against a limit of five: exactly five are counted,
// the rest refused, whatever the interleaving.
func TestConcurrentTakesNeverExceedTheLimit(t *testing.T) {
	t.Parallel()
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var wg sync.WaitGroup
			var mu sync.Mutex
			allowed := 0
			for i := 0; i < 50; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					h, err := l.Take(context.Background(), "k", throttle.Rule{Limit: 5, Window: time.Minute})
					if err != nil {
						t.Error(err)
						return
					}
					if !h.Refused {
						mu.Lock()
						allowed++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if allowed != 5 {
				t.Fatalf("%d allowed, want 5", allowed)
			}
		})
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
