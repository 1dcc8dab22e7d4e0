package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"authsvc/accounts"
	"authsvc/middleware"
	"authsvc/openapi"
	"authsvc/throttle"
)

// New builds the HTTP handler with every route mounted.
func New(d Deps) (http.Handler, error) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// Paths work with and without the trailing slash (see stripSlash); no
	// redirects, which turn a POST into a GET in many clients.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	// Gin trusts every proxy's X-Forwarded-For by default; believe none
	// unless the operator names them.
	if err := r.SetTrustedProxies(d.TrustedProxies); err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	r.ForwardedByClientIP = len(d.TrustedProxies) > 0

	a := &api{Deps: d, proxies: parsePrefixes(d.TrustedProxies), auth: newAuth(d.Accounts)}
	a.loginThrottle, a.registerThrottle, a.resetThrottle, a.passwordThrottle = throttleGuards(d.Throttle)
	a.uploadThrottle = uploadGuard(d.Throttle, d.Limits.Uploads)
	authed := a.auth.Require(middleware.Authenticated)
	staff := a.auth.Require(middleware.Staff)

	// Metrics wrap Recovery so that a request that panics is counted too.
	r.Use(middleware.RequestID(d.Log, accounts.IsUnavailable))
	if d.Metrics != nil {
		r.Use(d.Metrics.Middleware())
		r.GET("/metrics", handle(d.Metrics.Handler(d.MetricsToken)))
	}
	r.Use(middleware.AccessLog(), middleware.Recovery(),
		middleware.SecurityHeaders(), middleware.CORS(d.CORSOrigins),
		middleware.BodyLimit(middleware.DefaultBodyLimit, bodyLimits),
		middleware.Timeout(d.RequestTimeout))
	r.GET("/openapi.json", openapi.Serve)
	r.NoRoute(middleware.NotFound)
	r.NoMethod(middleware.MethodNotAllowed)

	r.GET("/healthz", a.healthz)
	r.GET("/readyz", a.readyz)
	r.GET("/.well-known/jwks.json", a.jwks)
	r.GET("/.well-known/openid-configuration", a.openIDConfiguration)

	g := r.Group("/api/auth")
	g.POST("/register", a.registerThrottle, handle(a.register))
	g.POST("/token", a.loginThrottle, handle(a.token))
	g.POST("/token/refresh", handle(a.refresh))
	g.POST("/token/verify", handle(a.verify))
	g.POST("/token/blacklist", handle(a.logout))
	g.POST("/logout", handle(a.logout))
	g.POST("/logout/all", authed, handle(a.logoutAll))
	g.GET("/profile", authed, handle(a.profile))
	g.PATCH("/profile", authed, handle(a.updateProfile))
	g.PUT("/profile", authed, handle(a.updateProfile))
	g.DELETE("/profile", authed, a.passwordThrottle, handle(a.deleteProfile))
	g.POST("/password/change", authed, a.passwordThrottle, handle(a.changePassword))
	g.POST("/password/reset", a.resetThrottle, handle(a.passwordReset))
	g.POST("/password/reset/confirm", handle(a.passwordResetConfirm))
	g.POST("/email/verify", handle(a.verifyEmail))
	g.POST("/email/verify/resend", a.Throttle.Guard(throttle.VerifyResend), handle(a.resendVerification))
	g.GET("/sessions", authed, handle(a.listSessions))
	g.DELETE("/sessions/:id", authed, handle(a.endSession))
	g.GET("/keys", authed, handle(a.listKeys))
	g.DELETE("/keys/:id", authed, handle(a.deleteKey))
	g.PUT("/profile/picture", authed, a.uploadThrottle, handle(a.putPicture))
	g.DELETE("/profile/picture", authed, handle(a.deletePicture))
	a.mountMFA(g, authed)

	r.GET("/media/profile_pictures/:name", a.servePicture)
	r.HEAD("/media/profile_pictures/:name", a.servePicture)
	a.mountProfiles(r, authed)

	r.POST("/api-token-auth", a.loginThrottle, handle(a.obtainKey))
	r.DELETE("/api-token-auth", authed, handle(a.revokeKey))
	acc := r.Group("/api/accounts")
	acc.POST("/register", a.registerThrottle, handle(a.accountsRegister))
	acc.POST("/login", a.loginThrottle, handle(a.accountsLogin))
	acc.POST("/logout", authed, handle(a.revokeKey))

	a.mountAdmin(r, staff)

	return stripSlash(r), nil
}

// bodyLimits are the routes (Gin full paths) whose bodies may exceed the
// default 1 MiB.
var bodyLimits = map[string]int64{
	"/api/auth/profile/picture": pictureBodyLimit,
}

// stripSlash serves "/x/" as "/x": the routes are registered once, without
// the slash, and both spellings reach them for every method.
func stripSlash(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if p := req.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
			req.URL.Path = strings.TrimRight(p, "/")
			if req.URL.Path == "" {
				req.URL.Path = "/"
			}
			req.URL.RawPath = ""
		}
		h.ServeHTTP(w, req)
	})
}
