package middleware

import (
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
)

// CORS lets the browser origins in AUTH_CORS_ORIGINS call the API with
// credentials (the refresh-token cookie) and the headers the SPA sends,
// including the CSRF header of cookie mode. With no origins configured it
// does nothing, so browsers keep their same-origin default.
func CORS(origins []string) gin.HandlerFunc {
	if len(origins) == 0 {
		return func(c *gin.Context) { c.Next() }
	}
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[o] = true
	}
	h := cors.New(cors.Config{
		AllowOrigins:     origins,
		AllowMethods:     []string{"GET", "POST", "PUT", "PATCH", "DELETE"},
		AllowHeaders:     []string{"Authorization", "Content-Type", "X-Requested-With", "X-CSRF-Token", "X-Request-ID"},
		ExposeHeaders:    []string{"X-Request-ID", "Retry-After", "WWW-Authenticate"},
		AllowCredentials: true,
		MaxAge:           10 * time.Minute,
	})
	// gin-contrib/cors answers a foreign origin with a bare 403; pass such
	// requests on instead: without CORS headers the browser withholds the
	// answer anyway, and every error stays JSON (the CSRF check refuses
	// cookie use from foreign origins).
	return func(c *gin.Context) {
		if o := c.GetHeader("Origin"); o != "" && !allowed[o] {
			c.Next()
			return
		}
		h(c)
	}
}
