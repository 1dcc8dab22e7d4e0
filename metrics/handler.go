package metrics

import (
	"crypto/subtle"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"authsvc/apierr"
)

// Handler serves the registry in the Prometheus text format. With a
// non-empty token the scraper must send "Authorization: Bearer <token>";
// the comparison is constant-time so the token cannot be guessed byte by
// byte from response times. A refusal is returned as a catalogue error for
// the caller's renderer, as every handler's is, so this package does not
// depend on the HTTP middleware.
func (m *Metrics) Handler(token string) func(c *gin.Context) error {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	want := []byte("Bearer " + token)
	return func(c *gin.Context) error {
		if token != "" {
			got := []byte(c.GetHeader("Authorization"))
			// A second Authorization header is refused as in middleware.Auth.
			if subtle.ConstantTimeCompare(got, want) != 1 || len(c.Request.Header.Values("Authorization")) > 1 {
				if len(got) > 0 {
					return apierr.MetricsTokenInvalid
				}
				return apierr.NotAuthenticated
			}
		}
		h.ServeHTTP(c.Writer, c.Request)
		return nil
	}
}
