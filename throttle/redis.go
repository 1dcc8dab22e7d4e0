package throttle

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Limiter whose counters live in Redis, shared by every instance
// pointed at the same server and prefix.
type Redis struct {
	client *redis.Client
	prefix string
	now    func() time.Time
}

// NewRedis returns a limiter on client. prefix namespaces the keys (several
// services or test runs can share one Redis); now is the clock (nil:
// time.Now) that picks the window, so that every instance agrees on window
// boundaries as long as their clocks do.
func NewRedis(client *redis.Client, prefix string, now func() time.Time) *Redis {
	if now == nil {
		now = time.Now
	}
	return &Redis{client: client, prefix: prefix, now: now}
}

// hitScript increments the window's counter and gives it a TTL in the same
// atomic step, so a key can never be left without one (a crash between a
// separate INCR and EXPIRE would leave a counter that never expires). The
// TTL only reclaims memory: the window itself is in the key name.
var hitScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
`)

// undoScript decrements an existing counter only: after the key expired
// there is nothing to take back, and DECR would create a key without TTL.
var undoScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('DECR', KEYS[1])
end
return 0
`)

// Hit implements Limiter.
func (r *Redis) Hit(ctx context.Context, key string, w time.Duration) (Hit, error) {
	now := r.now()
	name, reset := window(r.prefix+key, now, w)
	// Keep the key a little past the window's end so that instances whose
	// clocks differ slightly still find it; never less than the window.
	ttl := reset.Sub(now) + time.Second
	n, err := hitScript.Run(ctx, r.client, []string{name}, ttl.Milliseconds()).Int64()
	if err != nil {
		return Hit{}, fmt.Errorf("throttle: redis hit: %w", err)
	}
	return Hit{Count: n, Reset: reset, bucket: name}, nil
}

// Undo implements Limiter.
func (r *Redis) Undo(ctx context.Context, h Hit) error {
	if h.bucket == "" {
		return nil
	}
	if err := undoScript.Run(ctx, r.client, []string{h.bucket}).Err(); err != nil {
		return fmt.Errorf("throttle: redis undo: %w", err)
	}
	return nil
}

// Dial connects to the Redis at url (redis://host:port/db) and checks that it
// answers, so a wrong AUTH_REDIS_URL stops the service at start rather than
// leaving it unthrottled.
func Dial(ctx context.Context, url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("throttle: AUTH_REDIS_URL: %w", err)
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("throttle: redis at %s does not answer: %w", opt.Addr, err)
	}
	return c, nil
}
