package middleware

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"
)

// Timeout gives each request a deadline. Database calls take the request's
// context, so a database that stops answering makes them fail with a
// deadline error, which the services turn into 503, instead of holding the
// client until its own timeout.
func Timeout(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d <= 0 {
			c.Next()
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}
