package passwords

import (
	"context"
	"fmt"
	"time"
)

// QuietAfter is how long after the last token check the spare hashing slot
// becomes usable again.
const QuietAfter = 100 * time.Millisecond

// TokenCheck tells the hasher that a token check (a request that must stay
// fast) has arrived, which keeps the spare slot free for QuietAfter. It is
// on every authenticated request, so it writes the shared word at most once
// a millisecond.
func (h *Hasher) TokenCheck() {
	now := int64(h.sinceEpoch())
	if now-h.lastCheck.Load() > int64(time.Millisecond) {
		h.lastCheck.Store(now)
	}
}

// sinceEpoch is the time on the hasher's clock since it was made. With
// time.Now both readings are monotonic, so a step of the wall clock does
// not open or close the spare slot.
func (h *Hasher) sinceEpoch() time.Duration { return h.now().Sub(h.epoch) }

// limit is how many hashes may run now: all workers while token checks are
// quiet, one fewer (but at least one) while they arrive.
func (h *Hasher) limit() int {
	if h.workers < 2 || h.sinceEpoch()-time.Duration(h.lastCheck.Load()) >= h.quiet {
		return h.workers
	}
	return h.workers - 1
}

// acquire waits for a hashing slot, in arrival order.
func (h *Hasher) acquire(ctx context.Context) error {
	h.mu.Lock()
	if len(h.queue) == 0 && h.running < h.limit() {
		h.running++
		h.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	h.queue = append(h.queue, ch)
	h.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		h.mu.Lock()
		defer h.mu.Unlock()
		for i, w := range h.queue {
			if w == ch {
				h.queue = append(h.queue[:i], h.queue[i+1:]...)
				return fmt.Errorf("wait for hashing slot: %w", ctx.Err())
			}
		}
		// Granted just as the request gave up: pass the slot on.
		h.running--
		h.grantLocked()
		return fmt.Errorf("wait for hashing slot: %w", ctx.Err())
	}
}

// release frees a slot and starts the waiting hashes it allows. A spare slot
// that became usable (token checks went quiet) is taken up here, at the
// next hash to finish.
func (h *Hasher) release() {
	h.mu.Lock()
	h.running--
	h.grantLocked()
	h.mu.Unlock()
}

func (h *Hasher) grantLocked() {
	for len(h.queue) > 0 && h.running < h.limit() {
		close(h.queue[0])
		h.queue[0] = nil
		h.queue = h.queue[1:]
		h.running++
	}
}
