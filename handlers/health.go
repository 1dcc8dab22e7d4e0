package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"authsvc/apierr"
)

func (a *api) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 503 when the database does not answer within a second, so
// a load balancer stops sending traffic to an instance that cannot serve it.
func (a *api) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), time.Second)
	defer cancel()
	if err := a.Store.Ping(ctx); err != nil {
		a.Log.WarnContext(ctx, "readiness check failed", "err", err)
		// The contract's error fields, plus "status" for monitors that
		// read the same key on 200 and 503.
		c.Header("Retry-After", "1")
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable",
			"detail": "Database not reachable.", "code": apierr.CodeServiceUnavailable})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}
