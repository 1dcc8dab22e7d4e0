package app

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"authsvc/accounts"
	"authsvc/config"
	"authsvc/metrics"
	"authsvc/middleware"
	"authsvc/throttle"
)

// newThrottle builds the throttle middleware from the config: nil when
// AUTH_THROTTLE=off, Redis-backed counters when AUTH_REDIS_URL is set (every
// instance shares them), in-memory ones otherwise; m counts its refusals. The
// Redis client, if any, is returned for Close.
func newThrottle(ctx context.Context, cfg config.Config, now func() time.Time, m *metrics.Metrics) (*middleware.Throttle, *redis.Client, error) {
	if !cfg.Throttle {
		return nil, nil, nil
	}
	if cfg.RedisURL == "" {
		return &middleware.Throttle{Limiter: throttle.NewMemory(now, 0), Now: now, Metrics: m}, nil, nil
	}
	client, err := throttle.Dial(ctx, cfg.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	return &middleware.Throttle{Limiter: throttle.NewRedis(client, cfg.RedisPrefix, now), Now: now, Metrics: m}, client, nil
}

// passwordBudget is the per-account and per-device failure budgets the
// account service spends before every password check, on the same counters
// as the route throttle; nil (no limit) when throttling is off.
func passwordBudget(cfg config.Config, t *middleware.Throttle, m *metrics.Metrics) accounts.FailureBudget {
	if t == nil {
		return nil
	}
	return &throttle.Budget{
		Limiter: t.Limiter, Now: t.Now,
		Rules: map[string]throttle.Rule{
			accounts.BudgetUser:   rule(cfg.PasswordFailures),
			accounts.BudgetDevice: rule(cfg.DeviceFailures),
			// Every device-cookie failure of an account, whichever cookie:
			// DeviceBudgetFactor times the account budget, same window.
			accounts.BudgetAccountDevices: {
				Limit:  accounts.DeviceBudgetFactor * cfg.PasswordFailures.Limit,
				Window: cfg.PasswordFailures.Window,
			},
		},
		// Counted with the route throttle's refusals, by budget kind.
		OnRefused: func(kind string) { m.Throttled("password_" + kind) },
	}
}

func rule(r config.Rate) throttle.Rule { return throttle.Rule{Limit: r.Limit, Window: r.Window} }
