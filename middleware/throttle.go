package middleware

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/gin-gonic/gin"

	"authsvc/apierr"
	"authsvc/throttle"
)

// Throttle turns throttle policies into route middleware. A nil *Throttle
// (AUTH_THROTTLE=off) gives guards that let everything through, so routes are
// wired the same way either way.
type Throttle struct {
	Limiter throttle.Limiter
	// Now must be the clock the Limiter uses, so Retry-After counts to the
	// same window end.
	Now func() time.Time
	// OnThrottled, when set, is told the policy name of every 429 (metrics).
	OnThrottled func(policy string)
}

type counter struct {
	key  string
	rule throttle.Rule
}

// Guard limits a route by p. It counts the attempt before the handler runs
// (so a burst of concurrent requests cannot all slip under the limit between
// check and count) and takes the count back afterwards when the answer does
// not count under p (a successful login, our own 5xx). Over the limit the
// answer is 429 with Retry-After set to the seconds until the fullest window
// ends. If the counter store fails the request goes on (fail open) and the
// failure is logged: an outage of Redis must not lock every user out.
func (t *Throttle) Guard(p throttle.Policy) gin.HandlerFunc {
	if t == nil || t.Limiter == nil {
		return func(c *gin.Context) { c.Next() }
	}
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		counters := []counter{{key: p.Name + ":ip:" + throttle.IPKey(c.ClientIP()), rule: p.PerIP}}
		if p.PerSubject.Limit > 0 && p.Field != "" {
			if v := BodyField(c, p.Field); v != "" {
				if p.Normalize != nil {
					v = p.Normalize(v)
				}
				counters = append(counters, counter{key: p.Name + ":" + p.Field + ":" + subjectKey(v), rule: p.PerSubject})
			}
		}
		hits := make([]throttle.Hit, 0, len(counters))
		retry := 0
		for _, k := range counters {
			h, err := t.Limiter.Hit(ctx, k.key, k.rule.Window)
			if err != nil {
				Logger(c).ErrorContext(ctx, "throttle unavailable, request not limited", "policy", p.Name, "err", err)
				continue
			}
			hits = append(hits, h)
			if h.Count > k.rule.Limit {
				retry = max(retry, throttle.RetryAfter(t.Now(), h.Reset))
			}
		}
		if retry > 0 {
			// A refused attempt is not an attempt: it must not push the
			// window further for the other counter.
			t.undo(c, hits)
			if t.OnThrottled != nil {
				t.OnThrottled(p.Name)
			}
			RenderError(c, apierr.Throttled(retry))
			return
		}
		c.Next()
		if !p.Counts(c.Writer.Status()) {
			t.undo(c, hits)
		}
	}
}

func (t *Throttle) undo(c *gin.Context, hits []throttle.Hit) {
	// The client may have gone; the counter must still be corrected.
	ctx := context.WithoutCancel(c.Request.Context())
	for _, h := range hits {
		if err := t.Limiter.Undo(ctx, h); err != nil {
			Logger(c).WarnContext(ctx, "throttle undo failed", "err", err)
		}
	}
}

// subjectKey hashes a username or address: keys stay short however long the
// field, and the counter store holds no personal data in clear.
func subjectKey(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:16])
}
