// Package throttle counts events per key in fixed time windows, in memory or
// in Redis (so every instance shares the counters), and defines the
// service's throttling policies. It knows nothing of HTTP; middleware turns
// a Decision into a 429.
package throttle

import (
	"context"
	"strconv"
	"time"
)

// Limiter counts events in fixed windows: the window of length w that holds
// the instant now is [now - now mod w, that + w), the same on every instance
// that shares the counters, whatever process started first.
//
// Nothing is written for an event that is refused, and a counter taken back
// to zero is deleted: a flood of refused requests (or of successful logins)
// leaves no state behind, so it cannot push live counters out of a
// size-bounded store such as an LRU Redis.
type Limiter interface {
	// Take counts one event against key in the current window of r, unless
	// r.Limit events are counted there already: then it writes nothing
	// and returns a Hit with Refused set. Check and count are one atomic
	// step, so concurrent events cannot all slip under the limit.
	Take(ctx context.Context, key string, r Rule) (Hit, error)
	// Undo takes back a Hit that was not refused (an attempt that turned
	// out not to count, such as a successful login). It decrements the
	// window the Hit landed in, even if the clock has moved to the next one
	// since, and deletes the counter when it reaches zero.
	Undo(ctx context.Context, h Hit) error
}

// Hit is the outcome of Limiter.Take.
type Hit struct {
	// Count is the number of events in the window, this one included
	// unless Refused.
	Count int64
	// Refused is true when the window was full: nothing was counted.
	Refused bool
	// Reset is when the window ends and the count starts again from zero.
	Reset time.Time
	// bucket is the window's storage key; Undo decrements it. Empty for a
	// refused Hit, which has nothing to take back.
	bucket string
}

// window returns the storage key of key's current window and its end.
func window(key string, now time.Time, w time.Duration) (bucket string, reset time.Time) {
	if w <= 0 {
		w = time.Second
	}
	n := now.UnixNano() / int64(w)
	return key + "@" + strconv.FormatInt(n, 10), time.Unix(0, (n+1)*int64(w))
}

// RetryAfter is the whole number of seconds from now until reset, rounded
// up, at least 1: the value of the Retry-After header.
func RetryAfter(now, reset time.Time) int {
	d := reset.Sub(now)
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}
