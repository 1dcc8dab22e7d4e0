package handlers

import (
	"bytes"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"authsvc/middleware"
	"authsvc/throttle"
)

// BenchmarkBindLogin is a login-sized JSON body through the body limit, a
// throttle guard and the handler's binding (no database, no password
// hash): with a guard keyed by the body's username, which reads the body
// before the handler does, and with a per-IP guard only, as logins are.
func BenchmarkBindLogin(b *testing.B) {
	body := []byte(`{"username":"alice","password":"correct-Horse-battery-9"}`)
	unlimited := throttle.Rule{Limit: math.MaxInt64, Window: time.Hour}
	for _, bc := range []struct {
		name   string
		policy throttle.Policy
	}{
		{"subject=username", throttle.Policy{Name: "bench", PerSubject: unlimited, Field: "username"}},
		{"subject=none", throttle.Policy{Name: "bench", PerIP: unlimited}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			gin.SetMode(gin.ReleaseMode)
			now := func() time.Time { return time.Unix(1e9, 0) }
			th := &middleware.Throttle{Limiter: throttle.NewMemory(now, 0), Now: now}
			r := gin.New()
			r.POST("/login", middleware.BodyLimit(middleware.DefaultBodyLimit, nil), th.Guard(bc.policy), func(c *gin.Context) {
				d, err := readBody(c)
				if err != nil || d.field("username").Value != "alice" || d.field("password").Value == "" {
					c.Status(http.StatusBadRequest)
					return
				}
				c.Status(http.StatusNoContent)
			})
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/login", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				r.ServeHTTP(w, req)
				if w.Code != http.StatusNoContent {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
