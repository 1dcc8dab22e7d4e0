package passwords

import (
	"context"
	"errors"
	"testing"
	"time"
)

// cheap parameters: these tests are about slots, not hashing cost.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// cancelled is a context whose wait for a slot fails at once when no slot
// is ready: acquire only returns an error when it would have had to wait.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestHasherSpareSlot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		workers    int
		tokenCheck bool
		wantSlots  int // slots a burst of hashes gets without waiting
	}{
		{"one worker, no spare", 1, false, 1},
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
				h.quiet = time.Hour // stays busy for the whole test
				h.TokenCheck()
			}
			got := 0
			for {
				if _, err := h.acquire(cancelled()); err != nil {
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
				t.Fatalf("got %d slots without waiting, want %d", got, tt.wantSlots)
			}
		})
	}
}

// A login that waits while token checks arrive takes the spare slot once
// they stop, without another slot being freed.
func TestHasherSpareAfterQuiet(t *testing.T) {
	t.Parallel()
	h := NewHasher(cheap, 2)
	h.quiet = 20 * time.Millisecond
	h.TokenCheck()
	if _, err := h.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	slot, err := h.acquire(ctx)
	if err != nil {
		t.Fatalf("waiting login never got the spare slot: %v", err)
	}
	if slot != h.spare {
		t.Fatal("second hash did not run on the spare slot")
	}
	if quiet, _ := h.isQuiet(); !quiet {
		t.Fatal("spare handed out while token checks were not quiet")
	}
}

// Hash and Verify give their slot back, whichever it was.
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
	if len(h.slots) != 0 || len(h.spare) != 0 {
		t.Fatalf("slots still held: %d + %d", len(h.slots), len(h.spare))
	}
}
