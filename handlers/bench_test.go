package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"authsvc/internal/testserver"
)

// The benchmarks here drive the whole Gin engine in process (no network):
// every middleware, the handler, and a real SQLite file.

const benchPassword = "correct-Horse-battery-9"

func benchLogin(b *testing.B, s *testserver.Server, name string) testserver.Pair {
	b.Helper()
	s.Register(name, benchPassword)
	return s.Login(name, benchPassword)
}

func serve(b *testing.B, h http.Handler, req *http.Request, want int) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != want {
		b.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, w.Code, w.Body)
	}
	return w
}

// BenchmarkProfile is the authentication middleware end to end: header
// parse, JWT verify, the session+user query, and the profile JSON.
func BenchmarkProfile(b *testing.B) {
	s := testserver.New(b, testserver.Options{})
	p := benchLogin(b, s, "bench")
	h := s.App.Handler
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api/auth/profile/", nil)
		req.Header.Set("Authorization", "Bearer "+p.Access)
		serve(b, h, req, http.StatusOK)
	}
}

// BenchmarkVerifyEndpoint is POST /api/auth/token/verify/ with an access
// token: body decode, JWT verify, session liveness query.
func BenchmarkVerifyEndpoint(b *testing.B) {
	s := testserver.New(b, testserver.Options{})
	p := benchLogin(b, s, "bench")
	h := s.App.Handler
	body := []byte(`{"token":"` + p.Access + `"}`)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/auth/token/verify/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		serve(b, h, req, http.StatusOK)
	}
}

// BenchmarkRefresh rotates refresh tokens through the engine: serially (each
// rotation its own commit, the worst case for SQLite's fsync) and in parallel
// with one chain per goroutine (where the group commit shares fsyncs).
func BenchmarkRefresh(b *testing.B) {
	for _, parallel := range []bool{false, true} {
		b.Run(fmt.Sprintf("parallel=%v", parallel), func(b *testing.B) {
			s := testserver.New(b, testserver.Options{})
			h := s.App.Handler
			rotate := func(b *testing.B, tok string) string {
				req := httptest.NewRequest(http.MethodPost, "/api/auth/token/refresh/",
					bytes.NewReader([]byte(`{"refresh":"`+tok+`"}`)))
				req.Header.Set("Content-Type", "application/json")
				w := serve(b, h, req, http.StatusOK)
				var p struct{ Refresh string }
				if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
					b.Fatal(err)
				}
				return p.Refresh
			}
			b.ReportAllocs()
			if !parallel {
				tok := benchLogin(b, s, "bench").Refresh
				for b.Loop() {
					tok = rotate(b, tok)
				}
				return
			}
			s.Register("bench", benchPassword)
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				tok := s.Login("bench", benchPassword).Refresh
				for pb.Next() {
					tok = rotate(b, tok)
				}
			})
			st := s.App.Store.RotationStats()
			if st.Batches > 0 {
				b.ReportMetric(float64(st.Rotations)/float64(st.Batches), "rotations/commit")
			}
		})
	}
}
