package metrics_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

func scrape(t *testing.T, s *testserver.Server, header map[string]string) string {
	t.Helper()
	r := s.Do(testserver.Request{Method: "GET", Path: "/metrics", Header: header})
	if r.Status != http.StatusOK {
		t.Fatalf("metrics: %d %s", r.Status, r.Body)
	}
	return string(r.Body)
}

// TestMetricsCountOutcomes drives logins, refreshes, a reuse detection and
// a throttled request, and reads them back from /metrics.
func TestMetricsCountOutcomes(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pair, pw := s.NewUser("mx")
	s.Login("mx", pw) // second live session
	s.Post("/api/auth/token/", map[string]string{"username": "mx", "password": "wrong-password"})
	r := s.Post("/api/auth/token/refresh", map[string]string{"refresh": pair.Refresh})
	if r.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	s.Clock.Advance(time.Minute) // past the reuse grace
	if r := s.Post("/api/auth/token/refresh/", map[string]string{"refresh": pair.Refresh}); r.Status != http.StatusUnauthorized {
		t.Fatalf("reuse: %d %s", r.Status, r.Body)
	}
	s.Do(testserver.Request{Method: "DELETE", Path: "/api/auth/sessions/abc/", Bearer: "garbage"})
	s.Do(testserver.Request{Method: "GET", Path: "/no/such/path"})
	s.App.Metrics.Throttled("login_ip")

	// The session gauge is recounted in the background; count now.
	if err := s.App.RefreshSessions(t.Context()); err != nil {
		t.Fatal(err)
	}
	body := scrape(t, s, nil)
	for _, want := range []string{
		`authsvc_logins_total{outcome="success"} 2`,
		`authsvc_logins_total{outcome="failure"} 1`,
		`authsvc_token_refreshes_total{outcome="rotated"} 1`,
		`authsvc_token_refreshes_total{outcome="reuse_detected"} 1`,
		`authsvc_refresh_reuse_detected_total 1`,
		`authsvc_throttled_requests_total{scope="login_ip"} 1`,
		// the reused token's session is revoked; the other one is live
		`authsvc_active_sessions 1`,
		`authsvc_http_requests_total{method="POST",route="/api/auth/token",status="200"} 2`,
		`authsvc_http_requests_total{method="POST",route="/api/auth/token",status="401"} 1`,
		`authsvc_http_requests_total{method="DELETE",route="/api/auth/sessions/:id",status="401"} 1`,
		`authsvc_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`authsvc_http_request_duration_seconds_count{method="POST",route="/api/auth/token/refresh",status="200"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, raw := range []string{"/api/auth/sessions/abc", "/no/such/path"} {
		if strings.Contains(body, raw) {
			t.Errorf("raw path %s leaked into a label", raw)
		}
	}
}

// TestMetricsToken checks AUTH_METRICS_TOKEN protection.
func TestMetricsToken(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_METRICS_TOKEN": "scrape-secret"}})
	for _, c := range []struct {
		name         string
		header       map[string]string
		want         int
		code, detail string
	}{
		{"none", nil, 401, "not_authenticated", "Authentication credentials were not provided."},
		{"wrong", map[string]string{"Authorization": "Bearer scrape-secreT"}, 401, "authentication_failed", "Invalid metrics token."},
		{"prefix", map[string]string{"Authorization": "Bearer scrape-secre"}, 401, "authentication_failed", "Invalid metrics token."},
		{"no scheme", map[string]string{"Authorization": "scrape-secret"}, 401, "authentication_failed", "Invalid metrics token."},
		{"right", map[string]string{"Authorization": "Bearer scrape-secret"}, 200, "", ""},
	} {
		r := s.Do(testserver.Request{Method: "GET", Path: "/metrics", Header: c.header})
		if r.Status != c.want {
			t.Errorf("%s: %d, want %d", c.name, r.Status, c.want)
		}
		if c.want != 401 {
			continue
		}
		if h := r.Header.Get("WWW-Authenticate"); h != `Bearer realm="api"` {
			t.Errorf("%s: 401 with WWW-Authenticate %q", c.name, h)
		}
		m := r.JSON(t)
		if len(m) != 2 || m["code"] != c.code || m["detail"] != c.detail {
			t.Errorf("%s: body %v, want code %q detail %q", c.name, m, c.code, c.detail)
		}
	}
}
