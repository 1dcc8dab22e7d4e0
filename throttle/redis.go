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

// takeScript checks the window's counter against the limit (ARGV[2]) and
// only below it increments the counter and gives it a TTL, all in one atomic
// step: a refused event writes nothing (a flood of them must not fill an
// LRU-bounded Redis with keys), and a key can never be left without a TTL
// (a crash between a separate INCR and EXPIRE would leave a counter that
// never expires). The TTL only reclaims memory: the window itself is in the
// key name. It returns {count, refused}.
var takeScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[2]) then
  return {n, 1}
end
n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return {n, 0}
`)

// undoScript decrements an existing counter only (after the key expired
// there is nothing to take back, and DECR would create a key without TTL),
// and deletes it at zero, so an attempt that did not count leaves no key.
var undoScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  local n = redis.call('DECR', KEYS[1])
  if n <= 0 then
    redis.call('DEL', KEYS[1])
  end
  return n
end
return 0
`)

// Take implements Limiter.
func (r *Redis) Take(ctx context.Context, key string, rule Rule) (Hit, error) {
	now := r.now()
	name, reset := window(r.prefix+key, now, rule.Window)
	// Keep the key a little past the window's end so that instances whose
	// clocks differ slightly still find it; never less than the window.
	ttl := reset.Sub(now) + time.Second
	res, err := takeScript.Run(ctx, r.client, []string{name}, ttl.Milliseconds(), rule.Limit).Int64Slice()
	if err != nil {
		return Hit{}, fmt.Errorf("throttle: redis take %s: %w", key, err)
	}
	if len(res) != 2 {
		return Hit{}, fmt.Errorf("throttle: redis take %s: unexpected answer %v", key, res)
	}
	if res[1] == 1 {
		return Hit{Count: res[0], Refused: true, Reset: reset}, nil
	}
	return Hit{Count: res[0], Reset: reset, bucket: name}, nil
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
