// Package handlers is the HTTP layer: it mounts the routes, decodes request
// bodies into request structs, calls one service method per endpoint and
// writes the result. Errors are returned, never written here: the one
// renderer in middleware turns them into JSON.
package handlers

import (
	"log/slog"
	"net/netip"
	"time"

	"github.com/gin-gonic/gin"

	"authsvc/accounts"
	"authsvc/metrics"
	"authsvc/middleware"
	"authsvc/pictures"
	"authsvc/tokens"
)

// Deps are what the HTTP layer needs.
type Deps struct {
	// Accounts is the service layer: every storage access goes through it.
	Accounts *accounts.Service
	Log      *slog.Logger
	Now      func() time.Time
	// TrustedProxies are the proxies whose X-Forwarded-For is believed;
	// empty means the client IP is the socket's peer.
	TrustedProxies []string
	// RequestTimeout bounds each request; 0 means none.
	RequestTimeout time.Duration
	// Pictures stores uploaded profile pictures.
	Pictures *pictures.Store
	// Tokens publishes the public keys (JWKS); Issuer is AUTH_ISSUER, empty
	// to derive it from the request.
	Tokens *tokens.Service
	Issuer string
	// PublicURL is AUTH_PUBLIC_URL: the base of the discovery document's
	// URLs when set.
	PublicURL string
	// Throttle limits login, registration and reset; nil: off.
	Throttle *middleware.Throttle
	// Metrics records requests and serves /metrics; nil: no metrics.
	Metrics *metrics.Metrics
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// Limits are the configurable per-session and per-user limits.
	Limits Limits
	// Cookie configures the refresh-token cookie mode (see cookie.go).
	Cookie CookieMode
	// CORSOrigins are the browser origins allowed to call the API.
	CORSOrigins []string
}

type api struct {
	Deps
	// proxies are AUTH_TRUSTED_PROXIES, parsed once.
	proxies []netip.Prefix
	auth    *middleware.Auth
	// Throttle guards, one per policy; attach with one line per route, e.g.
	// r.POST("/api-token-auth", a.loginThrottle, handle(a.apiTokenAuth)).
	loginThrottle, registerThrottle, resetThrottle, passwordThrottle gin.HandlerFunc
	uploadThrottle                                                   gin.HandlerFunc
}

// handle adapts a handler that returns an error.
func handle(f func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := f(c); err != nil {
			middleware.RenderError(c, err)
		}
	}
}

func meta(c *gin.Context) accounts.Meta {
	return accounts.Meta{UserAgent: c.Request.UserAgent(), IP: c.ClientIP()}
}
