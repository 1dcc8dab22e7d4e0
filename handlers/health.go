package handlers

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"authsvc/apierr"
	"authsvc/middleware"
)

func (a *api) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 503 when the database does not answer within a second, so
// a load balancer stops sending traffic to an instance that cannot serve it.
// The 503 is the catalogue's NotReady, rendered (and logged) like every error.
func (a *api) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), time.Second)
	defer cancel()
	if err := a.Accounts.Ready(ctx); err != nil {
		middleware.RenderError(c, apierr.NotReady.WithCause(fmt.Errorf("readiness check: %w", err)))
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}
