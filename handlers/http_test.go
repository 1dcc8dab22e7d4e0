package handlers_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

// noRedirects makes s's client report redirects instead of following them.
func noRedirects(s *testserver.Server) {
	c := *s.Client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.Client = &c
}

func TestTrailingSlashBothWays(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	noRedirects(s)
	p, _ := s.NewUser("slasher")
	routes := []struct {
		method, path string
		auth         bool
	}{
		{http.MethodPost, "/api/auth/register", false},
		{http.MethodPost, "/api/auth/token", false},
		{http.MethodPost, "/api/auth/token/refresh", false},
		{http.MethodPost, "/api/auth/token/verify", false},
		{http.MethodPost, "/api/auth/token/blacklist", false},
		{http.MethodPost, "/api/auth/logout", false},
		{http.MethodGet, "/api/auth/profile", true},
		{http.MethodPatch, "/api/auth/profile", true},
		{http.MethodPut, "/api/auth/profile", true},
		{http.MethodDelete, "/api/auth/profile", true},
		{http.MethodPost, "/api/auth/password/change", true},
		{http.MethodGet, "/api/auth/sessions", true},
		{http.MethodDelete, "/api/auth/sessions/unknown-id", true},
		{http.MethodGet, "/healthz", false},
		{http.MethodGet, "/readyz", false},
		{http.MethodPost, "/api/auth/logout/all", true}, // last: it ends the session
	}
	for _, rt := range routes {
		var statuses []int
		for _, path := range []string{rt.path, rt.path + "/"} {
			req := testserver.Request{Method: rt.method, Path: path, JSON: map[string]any{}}
			if rt.auth {
				req.Bearer = p.Access
			}
			r := s.Do(req)
			if r.Status >= 300 && r.Status < 400 || r.Status == http.StatusNotFound && !strings.Contains(path, "unknown-id") ||
				r.Status == http.StatusMethodNotAllowed || r.Status >= 500 {
				t.Errorf("%s %s: %d %s", rt.method, path, r.Status, r.Body)
			}
			if loc := r.Header.Get("Location"); loc != "" {
				t.Errorf("%s %s: redirect to %s", rt.method, path, loc)
			}
			statuses = append(statuses, r.Status)
		}
		if statuses[0] != statuses[1] && rt.path != "/api/auth/logout/all" {
			t.Errorf("%s %s: %d without the slash, %d with it", rt.method, rt.path, statuses[0], statuses[1])
		}
	}
}

func TestWrongMethod(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	cases := []struct{ method, path, allow string }{
		{http.MethodGet, "/api/auth/token/", "POST"},
		{http.MethodGet, "/api/auth/token", "POST"},
		{http.MethodDelete, "/api/auth/register/", "POST"},
		{http.MethodPost, "/api/auth/profile/", "GET"},
		{http.MethodPost, "/api/auth/profile", "PATCH"},
		{http.MethodPut, "/api/auth/sessions/", "GET"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := s.Do(testserver.Request{Method: c.method, Path: c.path})
			wantError(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
			if !strings.Contains(r.Header.Get("Allow"), c.allow) {
				t.Errorf("Allow %q lacks %s", r.Header.Get("Allow"), c.allow)
			}
		})
	}
}

func TestUnknownPath(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	for _, path := range []string{"/nope", "/api/auth/nope/", "/api/auth/token/x/y", "/"} {
		t.Run(path, func(t *testing.T) {
			wantError(t, s.Do(testserver.Request{Method: http.MethodGet, Path: path}), http.StatusNotFound, "not_found")
		})
	}
}

func TestBodyDecoding(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	post := func(body io.Reader, ct string) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodPost, Path: pathToken, Body: body, ContentType: ct})
	}
	// hide makes the client send a body chunked, without Content-Length.
	hide := func(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b)) }
	big := []byte(`{"username": "` + strings.Repeat("a", 1<<20) + `", "password": "x"}`)
	bigForm := []byte(url.Values{"username": {strings.Repeat("a", 1<<20)}, "password": {"x"}}.Encode())
	var bigMultipart bytes.Buffer
	mw := multipart.NewWriter(&bigMultipart)
	_ = mw.WriteField("username", strings.Repeat("a", 1<<20))
	mw.Close()

	cases := []struct {
		name, ct string
		body     io.Reader
		status   int
		code     string
	}{
		{"malformed JSON", "application/json", strings.NewReader(`{"username":`), 400, "parse_error"},
		{"JSON with a trailing comma", "application/json", strings.NewReader(`{"username": "a",}`), 400, "parse_error"},
		{"JSON list", "application/json", strings.NewReader(`["a"]`), 400, ""},
		{"JSON null", "application/json", strings.NewReader(`null`), 400, ""},
		{"text/plain", "text/plain", strings.NewReader(`username=a`), 415, "unsupported_media_type"},
		{"xml", "application/xml", strings.NewReader(`<a/>`), 415, "unsupported_media_type"},
		{"no content type with a body", "", strings.NewReader(`{"username": "a"}`), 415, "unsupported_media_type"},
		{"over 1 MiB with Content-Length", "application/json", bytes.NewReader(big), 413, "request_too_large"},
		{"over 1 MiB chunked", "application/json", hide(big), 413, "request_too_large"},
		{"form over 1 MiB chunked", "application/x-www-form-urlencoded", hide(bigForm), 413, "request_too_large"},
		{"multipart over 1 MiB chunked", mw.FormDataContentType(), hide(bigMultipart.Bytes()), 413, "request_too_large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(c.body, c.ct)
			if c.code == "" {
				wantField(t, r, "non_field_errors", "Invalid data")
				return
			}
			wantError(t, r, c.status, c.code)
		})
	}
	t.Run("JSON with charset accepted", func(t *testing.T) {
		r := post(strings.NewReader(`{"username": "nobody", "password": "x"}`), "application/json; charset=utf-8")
		wantError(t, r, http.StatusUnauthorized, "no_active_account")
	})
}

func TestForwardedForNotTrusted(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.Register("proxied", strongPassword)
	spoof := map[string]string{"X-Forwarded-For": "203.0.113.7", "X-Real-IP": "203.0.113.8"}
	p := pairOf(t, s.Do(testserver.Request{Method: http.MethodPost, Path: pathToken, Header: spoof,
		JSON: map[string]string{"username": "proxied", "password": strongPassword}}))
	list := sessionsOf(t, s, p.Access)
	if len(list) != 1 || list[0]["ip"] != "127.0.0.1" {
		t.Errorf("session ip %v, want the socket's 127.0.0.1", list)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/healthz", Header: map[string]string{"X-Request-ID": "abc-123.x_y"}})
	if got := r.Header.Get("X-Request-ID"); got != "abc-123.x_y" {
		t.Errorf("X-Request-ID %q, want the client's", got)
	}
	for _, h := range []map[string]string{nil, {"X-Request-ID": "bad id\twith spaces"}, {"X-Request-ID": strings.Repeat("x", 65)}} {
		r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/nope", Header: h})
		got := r.Header.Get("X-Request-ID")
		if got == "" || got == h["X-Request-ID"] {
			t.Errorf("X-Request-ID %q for %q", got, h["X-Request-ID"])
		}
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		r := s.Do(testserver.Request{Method: http.MethodGet, Path: path})
		wantStatus(t, r, http.StatusOK)
		if r.JSON(t)["status"] != "ok" || r.Header.Get("Content-Type") != jsonCT {
			t.Errorf("%s: %s %s", path, r.Header.Get("Content-Type"), r.Body)
		}
	}
}

func TestForwardedForTrustedWhenConfigured(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"AUTH_TRUSTED_PROXIES": "127.0.0.1"})
	s.Register("behindproxy", strongPassword)
	p := pairOf(t, s.Do(testserver.Request{Method: http.MethodPost, Path: pathToken,
		Header: map[string]string{"X-Forwarded-For": "203.0.113.7"},
		JSON:   map[string]string{"username": "behindproxy", "password": strongPassword}}))
	if list := sessionsOf(t, s, p.Access); len(list) != 1 || list[0]["ip"] != "203.0.113.7" {
		t.Errorf("session ip %v, want the forwarded 203.0.113.7", list)
	}
}
