package app

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"authsvc/config"
	"authsvc/middleware"
	"authsvc/throttle"
)

// newThrottle builds the throttle middleware from the config: nil when
// AUTH_THROTTLE=off, Redis-backed counters when AUTH_REDIS_URL is set (every
// instance shares them), in-memory ones otherwise. The Redis client, if any,
// is returned for Close.
func newThrottle(ctx context.Context, cfg config.Config, now func() time.Time) (*middleware.Throttle, *redis.Client, error) {
	if !cfg.Throttle {
		return nil, nil, nil
	}
	if cfg.RedisURL == "" {
		return &middleware.Throttle{Limiter: throttle.NewMemory(now, 0), Now: now}, nil, nil
	}
	client, err := throttle.Dial(ctx, cfg.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	return &middleware.Throttle{Limiter: throttle.NewRedis(client, cfg.RedisPrefix, now), Now: now}, client, nil
}
