package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

const appOrigin = "https://app.example.com"

func preflight(s *testserver.Server, origin string) *testserver.Response {
	return s.Do(testserver.Request{Method: http.MethodOptions, Path: "/api/auth/token/", Header: map[string]string{
		"Origin":                         origin,
		"Access-Control-Request-Method":  "POST",
		"Access-Control-Request-Headers": "authorization, content-type, x-requested-with, x-csrftoken",
	}})
}

func TestCORS(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: map[string]string{
		"AUTH_CORS_ORIGINS": appOrigin + ",https://admin.example.com"}})
	pw := "correct-Horse-77"
	s.Register("corsuser", pw)

	t.Run("preflight from a listed origin", func(t *testing.T) {
		r := preflight(s, appOrigin)
		if r.Status != http.StatusNoContent {
			t.Fatalf("status %d %s", r.Status, r.Body)
		}
		h := r.Header
		if h.Get("Access-Control-Allow-Origin") != appOrigin || h.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("headers %v", h)
		}
		allowed := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
		for _, want := range []string{"authorization", "content-type", "x-requested-with", "x-csrftoken"} {
			if !strings.Contains(allowed, want) {
				t.Errorf("Allow-Headers %q lacks %s", allowed, want)
			}
		}
		if !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
			t.Errorf("Allow-Methods %q", h.Get("Access-Control-Allow-Methods"))
		}
	})
	t.Run("request from a listed origin", func(t *testing.T) {
		r := s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/token/",
			JSON:   map[string]string{"username": "corsuser", "password": pw},
			Header: map[string]string{"Origin": appOrigin}})
		if r.Status != http.StatusOK || r.Header.Get("Access-Control-Allow-Origin") != appOrigin ||
			r.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("%d %v", r.Status, r.Header)
		}
		exposed := strings.ToLower(r.Header.Get("Access-Control-Expose-Headers"))
		if !strings.Contains(exposed, "x-request-id") || !strings.Contains(exposed, "retry-after") {
			t.Fatalf("Expose-Headers %q", exposed)
		}
	})
	t.Run("preflight from another origin", func(t *testing.T) {
		r := preflight(s, "https://evil.example")
		if r.Status != http.StatusForbidden || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("%d %v", r.Status, r.Header)
		}
		if r.JSON(t)["code"] != "permission_denied" {
			t.Fatalf("body %s", r.Body)
		}
	})
	t.Run("request from another origin", func(t *testing.T) {
		for _, origin := range []string{"https://evil.example", "https://app.example.com.evil.example", "null", "http://app.example.com"} {
			r := s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/token/",
				JSON:   map[string]string{"username": "corsuser", "password": pw},
				Header: map[string]string{"Origin": origin}})
			if a := r.Header.Get("Access-Control-Allow-Origin"); a != "" {
				t.Errorf("origin %s got Allow-Origin %q", origin, a)
			}
			if r.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("origin %s got Allow-Credentials", origin)
			}
		}
	})
}

func TestCORSOffWithoutOrigins(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	r := preflight(s, appOrigin)
	if r.Header.Get("Access-Control-Allow-Origin") != "" || r.Status == http.StatusNoContent {
		t.Fatalf("%d %v", r.Status, r.Header)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pair, _ := s.NewUser("headers")
	for name, r := range map[string]*testserver.Response{
		"token":   s.Post("/api/auth/token/refresh/", map[string]string{"refresh": pair.Refresh}),
		"profile": s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/", Bearer: pair.Access}),
		"404":     s.Do(testserver.Request{Method: http.MethodGet, Path: "/nope"}),
		"401":     s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/"}),
	} {
		for h, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
			"Cache-Control":          "no-store",
			"X-Frame-Options":        "DENY",
		} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", name, h, got, want)
			}
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") ||
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", name, csp)
		}
	}
}
