package passwords

import (
	"context"
	"errors"
	"runtime"
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

// busy makes token checks arrive for the whole test.
func busy(h *Hasher) {
	h.quiet = time.Hour
	h.TokenCheck()
}

// goQuiet makes token checks look long gone.
func goQuiet(h *Hasher) { h.lastCheck.Store(-int64(2 * time.Hour)) }

func TestHasherSpareSlot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		workers    int
		tokenCheck bool
		wantSlots  int // hashes that start without waiting
	}{
		{"one worker, no spare", 1, false, 1},
		{"one worker, token checks arriving", 1, true, 1},
		{"two workers, quiet", 2, false, 2},
		{"two workers, token checks arriving", 2, true, 1},
		{"four workers, quiet", 4, false, 4},
		{"four workers, token checks arriving", 4, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := NewHasher(cheap, tt.workers)
			if tt.tokenCheck {
				busy(h)
			}
			got := 0
			for {
				if err := h.acquire(cancelled()); err != nil {
					if !errors.Is(err, context.Canceled) {
						t.Fatalf("acquire: %v", err)
					}
					break
				}
				got++
				if got > tt.workers {
					t.Fatalf("more than %d slots handed out", tt.workers)
				}
			}
			if got != tt.wantSlots {
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

// Waiting hashes start in arrival order, and the spare slot is taken up at
// the next release once token checks stop.
func TestHasherQueueOrderAndSpare(t *testing.T) {
	t.Parallel()
	h := NewHasher(cheap, 2)
	busy(h)
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
	h.release()
	if got := <-order; got != 0 {
		t.Fatalf("waiter %d started first, want 0", got)
	}
	// Quiet now: the next release starts two (its own slot and the spare).
	goQuiet(h)
	h.release()
	// Both start at once, so either may report first.
	if a, b := <-order, <-order; a+b != 3 {
		t.Fatalf("started %d and %d, want 1 and 2", a, b)
	}
	if h.running != 2 {
		t.Fatalf("%d running, want 2", h.running)
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
