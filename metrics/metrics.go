// Package metrics exposes the service's Prometheus metrics: HTTP requests by
// route and status, login and refresh outcomes, refresh-token reuse,
// throttled requests and live sessions. Everything is registered on a
// registry passed in, never on the global default one, so tests and several
// instances in one process do not collide.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// SessionCounter counts live sessions. It is called by RefreshSessions (in
// the background, every SessionsInterval), never by a scrape.
type SessionCounter func(ctx context.Context) (int64, error)

// SessionsInterval is how often the live-session count is recomputed: as
// often as Prometheus scrapes by default, and independent of how often (or
// by how many) /metrics is scraped.
const SessionsInterval = 15 * time.Second

// Metrics holds the collectors. It implements accounts.Events.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	logins    *prometheus.CounterVec
	refreshes *prometheus.CounterVec
	reuse     prometheus.Counter
	throttled *prometheus.CounterVec
	batches   prometheus.Histogram

	log *slog.Logger
	// sessions is the last count, -1 until the first one or after a
	// failed one; the gauge reads only this.
	sessions atomic.Int64
}

// New registers the collectors on reg. The active-sessions gauge shows the
// last count taken by RefreshSessions or WatchSessions: a COUNT query rather
// than an in-process gauge, because sessions end by expiry without any event
// and several instances share one database; but it runs in the background,
// at most every SessionsInterval, and a scrape only reads the last result: a
// flood of scrapes must not be a flood of table scans. The counter is given
// to those calls, not here, because the store it reads is opened after the
// metrics (it reports its group commits to them).
func New(reg *prometheus.Registry, log *slog.Logger) (*Metrics, error) {
	m := &Metrics{
		reg: reg, log: log,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authsvc_http_requests_total",
			Help: "HTTP requests by route (Gin route pattern, never the raw path), method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "authsvc_http_request_duration_seconds",
			Help:    "HTTP request latency by route, method and status.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method", "status"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authsvc_logins_total",
			Help: "Password logins by outcome (success, failure).",
		}, []string{"outcome"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authsvc_token_refreshes_total",
			Help: "Refresh-token presentations by outcome (rotated, grace, reuse_detected, invalid, inactive, session_ended).",
		}, []string{"outcome"}),
		reuse: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "authsvc_refresh_reuse_detected_total",
			Help: "Retired refresh tokens presented after the grace interval (each revoked its session).",
		}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authsvc_throttled_requests_total",
			Help: "Requests refused with 429 by the throttle, by scope.",
		}, []string{"scope"}),
		batches: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "authsvc_rotation_batch_size",
			Help:    "Refresh rotations committed together in one SQLite transaction (group commit).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 9), // 1 .. 256
		}),
	}
	m.sessions.Store(-1)
	active := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "authsvc_active_sessions",
		Help: "Sessions neither revoked nor expired, counted in the database every 15 s (-1 if the count failed).",
	}, func() float64 { return float64(m.sessions.Load()) })
	// The Go and process collectors give heap, goroutines and RSS: what an
	// operator (and the soak test) watches for leaks.
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.logins, m.refreshes, m.reuse, m.throttled, m.batches, active,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// RefreshSessions recounts the live sessions now with count (bounded by a
// one-second timeout). WatchSessions calls it; tests call it to read a fresh
// value.
func (m *Metrics) RefreshSessions(ctx context.Context, count SessionCounter) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	n, err := count(ctx)
	if err != nil {
		m.sessions.Store(-1)
		return fmt.Errorf("metrics: count active sessions: %w", err)
	}
	m.sessions.Store(n)
	return nil
}

// WatchSessions recounts the live sessions with count every interval until
// ctx ends.
func (m *Metrics) WatchSessions(ctx context.Context, every time.Duration, count SessionCounter) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.RefreshSessions(ctx, count); err != nil && ctx.Err() == nil {
				m.log.Warn("count active sessions failed", "err", err)
			}
		}
	}
}

// Login counts a login outcome (accounts.Events).
func (m *Metrics) Login(outcome string) { m.logins.WithLabelValues(outcome).Inc() }

// Refresh counts a refresh outcome (accounts.Events); a reuse detection
// also bumps its own counter, the one alerts watch.
func (m *Metrics) Refresh(outcome string) {
	m.refreshes.WithLabelValues(outcome).Inc()
	if outcome == "reuse_detected" {
		m.reuse.Inc()
	}
}

// Throttled counts one request refused by the throttle; scope names the
// limit that tripped (e.g. "login_ip", "login_user"). The throttle
// middleware calls it.
func (m *Metrics) Throttled(scope string) { m.throttled.WithLabelValues(scope).Inc() }

// ObserveRotationBatch records the size of one group commit
// (models.BatchObserver).
func (m *Metrics) ObserveRotationBatch(size int, _ time.Duration) { m.batches.Observe(float64(size)) }

// Middleware records every request by its Gin route pattern. Unmatched
// paths share the label "unmatched" so that scanners cannot blow up the
// label cardinality.
func (m *Metrics) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := strconv.Itoa(c.Writer.Status())
		method := c.Request.Method
		switch method {
		case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		default:
			method = "other" // a client must not be able to mint label values
		}
		m.requests.WithLabelValues(route, method, status).Inc()
		m.latency.WithLabelValues(route, method, status).Observe(time.Since(start).Seconds())
	}
}
