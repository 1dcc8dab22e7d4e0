// Package middleware holds the Gin middleware of the service (request ids,
// access log, panic recovery, body limits, authentication and permissions)
// and RenderError, the one function that turns an error into a JSON answer.
package middleware

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"authsvc/apierr"
)

// RenderError writes err as the contract's JSON error and aborts the chain.
// apierr.Public picks the answer: an unexpected error whose chain means the
// database is unavailable or the request was cancelled or timed out is the
// catalogue's 503 with Retry-After, for every handler; other errors that are
// not *apierr.Error become a plain 500. Their text, like the cause of any
// 5xx, goes to the log only, never to the client.
func RenderError(c *gin.Context, err error) {
	e := apierr.Public(err, unavailableOf(c))
	if e.Status >= 500 {
		Logger(c).ErrorContext(c.Request.Context(), "request failed", "status", e.Status, "err", err)
	} else if e.Cause != nil {
		Logger(c).DebugContext(c.Request.Context(), "request refused", "status", e.Status, "code", e.Code, "err", e.Cause)
	}
	if e.Status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="api"`)
	}
	if e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	c.Error(err) //nolint:errcheck // recorded for the access log
	if c.Writer.Written() {
		c.Abort()
		return
	}
	if len(e.Fields) > 0 {
		c.AbortWithStatusJSON(e.Status, e.Fields)
		return
	}
	body := gin.H{}
	for k, v := range e.Extra {
		body[k] = v
	}
	body["detail"], body["code"] = e.Detail, e.Code
	if len(e.Messages) > 0 {
		body["messages"] = e.Messages
	}
	c.AbortWithStatusJSON(e.Status, body)
}

// NotFound answers unknown paths with JSON instead of Gin's text body.
func NotFound(c *gin.Context) { RenderError(c, apierr.NotFound) }

// MethodNotAllowed answers a known path with the wrong method. Gin has
// already set the Allow header.
func MethodNotAllowed(c *gin.Context) {
	RenderError(c, apierr.MethodNotAllowed(c.Request.Method))
}

// Recovery turns a panic into the JSON 500 and logs the panic value with the
// request id; the client learns nothing about it.
func Recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r) // the client went away; let net/http handle it
				}
				Logger(c).ErrorContext(c.Request.Context(), "panic", "panic", slog.AnyValue(r))
				RenderError(c, apierr.Internal)
			}
		}()
		c.Next()
	}
}
