package middleware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

type ctxKey int

// requestKey holds a *requestInfo: one context value for both, as the
// context is derived on every request.
const requestKey ctxKey = 0

type requestInfo struct {
	id  string
	log *slog.Logger
	// unavailable classifies storage errors that mean "retry later"
	// (RenderError answers them 503); carried per request so the renderer
	// needs neither a package global nor an import of the storage layer.
	unavailable func(error) bool
}

const ginPrincipalKey = "authsvc.principal"

// RequestIDHeader carries the request id both ways.
const RequestIDHeader = "X-Request-ID"

// ContextHandler wraps a slog.Handler so every record logged with a request's
// context carries that request's id, wherever in the code it was logged.
type ContextHandler struct{ slog.Handler }

// Handle adds request_id from ctx.
func (h ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	if ri, ok := ctx.Value(requestKey).(*requestInfo); ok {
		r.AddAttrs(slog.String("request_id", ri.id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapper.
func (h ContextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return ContextHandler{h.Handler.WithAttrs(as)}
}

// WithGroup keeps the wrapper.
func (h ContextHandler) WithGroup(name string) slog.Handler {
	return ContextHandler{h.Handler.WithGroup(name)}
}

// validRequestID accepts a client's id only if it is short and plain, so a
// hostile header cannot forge log lines.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '.') {
			return false
		}
	}
	return true
}

// RequestID gives every request an id (the client's X-Request-ID if sane),
// returns it in the response and puts it in the request context for logs,
// with unavailable, the storage layer's "database unavailable" test that
// RenderError uses (nil: only cancelled and timed-out requests are 503).
//
// Generated ids are a random per-process prefix and a counter: unique across
// instances and restarts without reading the system's random source on every
// request (ids are for correlating log lines, not secrets).
func RequestID(log *slog.Logger, unavailable func(error) bool) gin.HandlerFunc {
	var seed [6]byte
	_, _ = rand.Read(seed[:])
	prefix := hex.EncodeToString(seed[:])
	var n atomic.Uint64
	return func(c *gin.Context) {
		id := c.GetHeader(RequestIDHeader)
		if !validRequestID(id) {
			var b [40]byte
			id = string(fmt.Appendf(append(b[:0], prefix...), "%012x", n.Add(1)))
		}
		// Canonical key set directly: Header.Set would canonicalise it again.
		c.Writer.Header()["X-Request-Id"] = []string{id}
		c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), requestKey, &requestInfo{id: id, log: log, unavailable: unavailable}))
		c.Next()
	}
}

// unavailableOf is the request's storage-unavailable classifier (nil
// outside a request that went through RequestID).
func unavailableOf(c *gin.Context) func(error) bool {
	if ri, ok := c.Request.Context().Value(requestKey).(*requestInfo); ok {
		return ri.unavailable
	}
	return nil
}

// Logger returns the request's logger (slog.Default outside a request).
func Logger(c *gin.Context) *slog.Logger {
	if ri, ok := c.Request.Context().Value(requestKey).(*requestInfo); ok {
		return ri.log
	}
	return slog.Default()
}

// AccessLog writes one line per request. It logs the path without the query
// string and never a header or body, so tokens and passwords cannot reach it.
func AccessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		attrs := []slog.Attr{
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("route", c.FullPath()),
			slog.Int("status", c.Writer.Status()),
			slog.Int("bytes", c.Writer.Size()),
			slog.Duration("duration", time.Since(start)),
			slog.String("client_ip", c.ClientIP()),
		}
		if p := PrincipalFrom(c); p != nil {
			attrs = append(attrs, slog.Int64("user_id", p.UserID()))
		}
		level := slog.LevelInfo
		if c.Writer.Status() >= 500 {
			level = slog.LevelError
		}
		Logger(c).LogAttrs(c.Request.Context(), level, "request", attrs...)
	}
}
