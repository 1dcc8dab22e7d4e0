package metrics

import (
	"crypto/subtle"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"authsvc/apierr"
	"authsvc/middleware"
)

// Handler serves the registry in the Prometheus text format. With a
// non-empty token the scraper must send "Authorization: Bearer <token>";
// the comparison is constant-time so the token cannot be guessed byte by
// byte from response times.
func (m *Metrics) Handler(token string) gin.HandlerFunc {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	want := []byte("Bearer " + token)
	return func(c *gin.Context) {
		if token != "" {
			got := []byte(c.GetHeader("Authorization"))
			// A second Authorization header is refused as in middleware.Auth.
			if subtle.ConstantTimeCompare(got, want) != 1 || len(c.Request.Header.Values("Authorization")) > 1 {
				err := apierr.NotAuthenticated
				if len(got) > 0 {
					err = apierr.MetricsTokenInvalid
				}
				middleware.RenderError(c, err)
				return
			}
		}
		h.ServeHTTP(c.Writer, c.Request)
	}
}
