package middleware

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"authsvc/apierr"
	"authsvc/metrics"
	"authsvc/reqbody"
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
	// Metrics counts every 429 by policy name; nil: not counted.
	Metrics *metrics.Metrics
}

type counter struct {
	key  string
	rule throttle.Rule
}

// Guard limits a route by p: per client IP, then per the body field p.Field.
func (t *Throttle) Guard(p throttle.Policy) gin.HandlerFunc {
	return t.guard(p, func(c *gin.Context) string {
		if p.Field == "" {
			return ""
		}
		// The handler binds from the same decoded body; a body that does
		// not decode keys nothing here and gets its error from the handler.
		b, err := reqbody.Of(c)
		if err != nil {
			return ""
		}
		v := b.String(p.Field)
		if v != "" && p.Normalize != nil {
			v = p.Normalize(v)
		}
		return v
	})
}

// GuardUser limits an authenticated route by p, per client IP and per the
// user the request acts as (mount it after Auth.Require).
func (t *Throttle) GuardUser(p throttle.Policy) gin.HandlerFunc {
	return t.guard(p, func(c *gin.Context) string {
		if pr := PrincipalFrom(c); pr != nil {
			return "user:" + strconv.FormatInt(pr.UserID(), 10)
		}
		return ""
	})
}

// guard counts the attempt before the handler runs (so a burst of
// concurrent requests cannot all slip under the limit between check and
// count) and takes the count back afterwards when the answer does not count
// under p (a successful login, our own 5xx). The per-IP counter is taken
// first: a request it refuses never reaches the subject's counter, so a
// flood of made-up usernames from one address creates no per-username keys.
// Over a limit the answer is 429 with Retry-After set to the seconds until
// the refusing window ends. If the counter store fails the request goes on
// (fail open) and the failure is logged: an outage of Redis must not lock
// every user out.
func (t *Throttle) guard(p throttle.Policy, subject func(*gin.Context) string) gin.HandlerFunc {
	if t == nil || t.Limiter == nil {
		return func(c *gin.Context) { c.Next() }
	}
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		var counters []counter
		if p.PerIP.Limit > 0 {
			counters = append(counters, counter{key: p.Name + ":ip:" + throttle.IPKey(c.ClientIP()), rule: p.PerIP})
		}
		if p.PerSubject.Limit > 0 {
			if v := subject(c); v != "" {
				counters = append(counters, counter{key: p.Name + ":" + p.Field + ":" + subjectKey(v), rule: p.PerSubject})
			}
		}
		hits := make([]throttle.Hit, 0, len(counters))
		for _, k := range counters {
			h, err := t.Limiter.Take(ctx, k.key, k.rule)
			if err != nil {
				Logger(c).ErrorContext(ctx, "throttle unavailable, request not limited", "policy", p.Name, "err", err)
				continue
			}
			if h.Refused {
				// A refused attempt is not an attempt: the counters taken
				// before this one give their unit back.
				t.undo(c, hits)
				t.refuse(c, p.Name, h)
				return
			}
			hits = append(hits, h)
		}
		c.Next()
		if !p.Counts(c.Writer.Status()) {
			t.undo(c, hits)
		}
	}
}

// Take counts one attempt of the policy named name against subject under r,
// for limits keyed by something only the handler knows (the session of a
// refresh token). Every attempt counts. It returns the 429 to answer when
// the window is full, nil otherwise (and when the counter store fails, which
// is logged: fail open, as guard does).
func (t *Throttle) Take(c *gin.Context, name, subject string, r throttle.Rule) error {
	if t == nil || t.Limiter == nil || r.Limit <= 0 {
		return nil
	}
	ctx := c.Request.Context()
	h, err := t.Limiter.Take(ctx, name+":"+subjectKey(subject), r)
	if err != nil {
		Logger(c).ErrorContext(ctx, "throttle unavailable, request not limited", "policy", name, "err", err)
		return nil
	}
	if h.Refused {
		t.count(name)
		return apierr.Throttled(throttle.RetryAfter(t.Now(), h.Reset))
	}
	return nil
}

func (t *Throttle) refuse(c *gin.Context, policy string, h throttle.Hit) {
	t.count(policy)
	RenderError(c, apierr.Throttled(throttle.RetryAfter(t.Now(), h.Reset)))
}

func (t *Throttle) count(policy string) {
	if t.Metrics != nil {
		t.Metrics.Throttled(policy)
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
