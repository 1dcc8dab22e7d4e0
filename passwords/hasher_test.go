package passwords

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// cheap parameters: these tests are about slots, not hashing cost.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// cancelled is a context whose wait for a slot fails at once when no slot
// is free: acquire only returns an error when it would have had to wait.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// testClock is the hasher's clock, moved by the test instead of sleeping.
// Waiting hashes read it from their own goroutines, hence the atomic.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// newTestHasher returns a Hasher with workers slots on a clock of its own.
func newTestHasher(workers int) (*Hasher, *testClock) {
	c := &testClock{}
	return NewHasherWith(cheap, HasherOptions{Workers: workers, Now: c.now}), c
}

// freeSlots takes every slot that is free without waiting and returns how
// many that was.
func freeSlots(t *testing.T, h *Hasher) int {
	t.Helper()
	got := 0
	for {
		if err := h.acquire(cancelled()); err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("acquire: %v", err)
			}
			return got
		}
		if got++; got > h.workers {
			t.Fatalf("more than %d slots handed out", h.workers)
		}
	}
}

// step is one thing that happens before slots are counted: a token check
// (check) or the clock moving by advance.
type step struct {
	check   bool
	advance time.Duration
}

var check = step{check: true}

func after(d time.Duration) step { return step{advance: d} }

func apply(h *Hasher, clock *testClock, steps []step) {
	for _, s := range steps {
		if s.check {
			h.TokenCheck()
		}
		clock.advance(s.advance)
	}
}

// The spare slot is held back from the last token check until QuietAfter
// has passed on the hasher's clock; checks less than a millisecond apart
// do not move that moment (TokenCheck writes at most once a millisecond).
func TestHasherSpareSlot(t *testing.T) {
	t.Parallel()
	const q = QuietAfter
	tests := []struct {
		name      string
		workers   int
		steps     []step
		wantSlots int // hashes that start without waiting
	}{
		{"one worker, no spare", 1, nil, 1},
		{"one worker, token checks arriving", 1, []step{check}, 1},
		{"two workers, quiet from the start", 2, nil, 2},
		{"two workers, token check just now", 2, []step{check}, 1},
		{"four workers, quiet", 4, nil, 4},
		{"four workers, token check just now", 4, []step{check}, 3},
		{"just before QuietAfter", 2, []step{check, after(q - time.Nanosecond)}, 1},
		{"at QuietAfter", 2, []step{check, after(q)}, 2},
		{"long after", 2, []step{check, after(time.Hour)}, 2},
		{"a check after quiet closes the spare again", 4, []step{check, after(q), check}, 3},
		{"a check within a millisecond does not extend", 2,
			[]step{check, after(time.Millisecond / 2), check, after(q - time.Millisecond/2)}, 2},
		{"a check over a millisecond later extends", 2,
			[]step{check, after(2 * time.Millisecond), check, after(q - time.Millisecond)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, clock := newTestHasher(tt.workers)
			apply(h, clock, tt.steps)
			if got := freeSlots(t, h); got != tt.wantSlots {
				t.Fatalf("%d hashes started without waiting, want %d", got, tt.wantSlots)
			}
			if len(h.queue) != 0 {
				t.Fatalf("a cancelled wait stayed queued")
			}
		})
	}
}

// waitQueued blocks until n acquires are queued.
func waitQueued(h *Hasher, n int) {
	for {
		h.mu.Lock()
		q := len(h.queue)
		h.mu.Unlock()
		if q >= n {
			return
		}
		runtime.Gosched()
	}
}

// queued checks that n hashes are waiting.
func queued(t *testing.T, h *Hasher, n int) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.queue) != n {
		t.Fatalf("%d hashes waiting, want %d", len(h.queue), n)
	}
}

// Waiting hashes start in arrival order, and the spare slot is taken up at
// the next release once token checks stop.
func TestHasherQueueOrderAndSpare(t *testing.T) {
	t.Parallel()
	h, clock := newTestHasher(2)
	h.TokenCheck()
	if err := h.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	order := make(chan int, 3)
	for i := range 3 {
		go func() {
			if err := h.acquire(context.Background()); err != nil {
				t.Error(err)
			}
			order <- i
		}()
		waitQueued(h, i+1)
	}
	// Token checks still arriving: one release starts one waiter, the oldest.
	// A release grants before it returns, so the queue tells at once (and a
	// wrong grant fails instead of leaving the reads below waiting).
	h.release()
	queued(t, h, 2)
	if got := <-order; got != 0 {
		t.Fatalf("waiter %d started first, want 0", got)
	}
	// Quiet now: the next release starts two (its own slot and the spare).
	clock.advance(QuietAfter)
	h.release()
	queued(t, h, 0)
	// Both start at once, so either may report first.
	if a, b := <-order, <-order; a+b != 3 {
		t.Fatalf("started %d and %d, want 1 and 2", a, b)
	}
	if h.running != 2 {
		t.Fatalf("%d running, want 2", h.running)
	}
}

// At a release the oldest waiting hash gets the freed slot only if the
// limit allows it then, on the hasher's clock: a token check since the
// slots were taken holds the spare back until QuietAfter has passed.
func TestHasherReleaseFollowsClock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		steps       []step // between taking both slots and the release
		wantGranted bool
	}{
		{"still quiet", nil, true},
		{"token check since", []step{check}, false},
		{"just before QuietAfter", []step{check, after(QuietAfter - time.Nanosecond)}, false},
		{"QuietAfter passed", []step{check, after(QuietAfter)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, clock := newTestHasher(2)
			if got := freeSlots(t, h); got != 2 {
				t.Fatalf("%d slots free at the start, want 2", got)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errc := make(chan error, 1)
			go func() { errc <- h.acquire(ctx) }()
			waitQueued(h, 1)
			apply(h, clock, tt.steps)
			h.release()
			h.mu.Lock()
			granted, running := len(h.queue) == 0, h.running
			h.mu.Unlock()
			if granted != tt.wantGranted {
				t.Fatalf("waiter granted = %v, want %v (%d running)", granted, tt.wantGranted, running)
			}
			if !granted {
				// Not granted: it waits until its request gives up.
				cancel()
			}
			if err := <-errc; granted != (err == nil) {
				t.Fatalf("waiter: %v (granted %v)", err, granted)
			}
			want := 1 // the slot not released
			if granted {
				want = 2
			}
			if running != want {
				t.Fatalf("%d running after the release, want %d", running, want)
			}
		})
	}
}

// A request that gives up leaves the queue, and a slot granted just as it
// gave up goes to the next in line.
func TestHasherCancelledWait(t *testing.T) {
	t.Parallel()
	h := NewHasher(cheap, 1)
	if err := h.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- h.acquire(ctx) }()
	waitQueued(h, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	h.release()
	if err := h.acquire(cancelled()); err != nil {
		t.Fatalf("slot not free after the only waiter gave up: %v", err)
	}
}

// Hash and Verify give their slot back.
func TestHasherReleasesSlots(t *testing.T) {
	t.Parallel()
	h := NewHasher(cheap, 2)
	ctx := context.Background()
	for range 10 {
		enc, err := h.Hash(ctx, "pw")
		if err != nil {
			t.Fatal(err)
		}
		if ok, _, err := h.Verify(ctx, "pw", enc); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	if h.running != 0 || len(h.queue) != 0 {
		t.Fatalf("slots still held: %d running, %d queued", h.running, len(h.queue))
	}
}
