package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"authsvc/middleware"
	"authsvc/openapi"
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

	a := &api{Deps: d, auth: &middleware.Auth{Bearer: d.Accounts}}
	authed := a.auth.Require(middleware.Authenticated)

	r.Use(middleware.RequestID(d.Log), middleware.AccessLog(), middleware.Recovery(),
		middleware.SecurityHeaders(), middleware.BodyLimit(middleware.DefaultBodyLimit, nil))
	if d.Metrics != nil {
		r.Use(d.Metrics.Middleware())
		r.GET("/metrics", d.Metrics.Handler(d.MetricsToken))
	}
	r.Use(middleware.CORS(d.CORSOrigins))
	r.GET("/openapi.json", openapi.Serve)
	r.NoRoute(middleware.NotFound)
	r.NoMethod(middleware.MethodNotAllowed)

	r.GET("/healthz", a.healthz)
	r.GET("/readyz", a.readyz)

	g := r.Group("/api/auth")
	g.POST("/register", handle(a.register))
	g.POST("/token", handle(a.token))
	g.POST("/token/refresh", handle(a.refresh))
	g.POST("/token/verify", handle(a.verify))
	g.POST("/token/blacklist", handle(a.logout))
	g.POST("/logout", handle(a.logout))
	g.POST("/logout/all", authed, handle(a.logoutAll))
	g.GET("/profile", authed, handle(a.profile))
	g.PATCH("/profile", authed, handle(a.updateProfile))
	g.PUT("/profile", authed, handle(a.updateProfile))
	g.DELETE("/profile", authed, handle(a.deleteProfile))
	g.POST("/password/change", authed, handle(a.changePassword))
	g.GET("/sessions", authed, handle(a.listSessions))
	g.DELETE("/sessions/:id", authed, handle(a.endSession))

	return stripSlash(r), nil
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
