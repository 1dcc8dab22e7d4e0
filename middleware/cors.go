package middleware

import (
	"net/http"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"

	"authsvc/apierr"
)

// CORS lets browsers on the listed origins (AUTH_CORS_ORIGINS) call the API,
// with credentials. No origins: no CORS at all, browsers on other sites
// cannot read any answer.
//
// gin-contrib/cors answers a refused origin with a bare 403 on every request;
// here a refused simple request goes on without Access-Control-Allow-Origin
// (the browser then hides the answer from the page, and non-browser clients
// that send Origin are not broken), and a refused preflight gets the
// contract's JSON 403.
func CORS(origins []string) gin.HandlerFunc {
	if len(origins) == 0 {
		return func(c *gin.Context) { c.Next() }
	}
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[o] = true
	}
	h := cors.New(cors.Config{
		AllowOrigins: origins,
		AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch,
			http.MethodDelete, http.MethodOptions},
		AllowHeaders: []string{"Authorization", "Content-Type", "X-Requested-With",
			"X-CSRFToken", "X-CSRF-Token", RequestIDHeader},
		ExposeHeaders:    []string{RequestIDHeader, "Retry-After", "WWW-Authenticate"},
		AllowCredentials: true,
		MaxAge:           12 * time.Hour,
	})
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		if origin == "" || allowed[origin] {
			h(c)
			return
		}
		c.Header("Vary", "Origin")
		if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
			RenderError(c, apierr.PermissionDenied)
			return
		}
		c.Next()
	}
}
