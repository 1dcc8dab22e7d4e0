package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

const spaOrigin = "http://spa.localhost:5173"

func cookieServer(t *testing.T, insecure string) *testserver.Server {
	return testserver.New(t, testserver.Options{Env: map[string]string{
		"AUTH_REFRESH_COOKIE": "on", "AUTH_COOKIE_INSECURE": insecure, "AUTH_CORS_ORIGINS": spaOrigin,
	}})
}

// refreshCookie returns the refresh_token cookie an answer sets.
func refreshCookie(t *testing.T, r *testserver.Response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "refresh_token" {
			return c
		}
	}
	return nil
}

func loginCookie(t *testing.T, s *testserver.Server, name string) *http.Cookie {
	t.Helper()
	s.Register(name, "pw-Xk7#long-enough-1")
	// A browser login: the SPA's origin and the CSRF header, which cookie
	// mode requires of login as of refresh.
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/token/",
		JSON:   map[string]string{"username": name, "password": "pw-Xk7#long-enough-1"},
		Header: map[string]string{"Origin": spaOrigin, "X-Requested-With": "XMLHttpRequest"}})
	if r.Status != 200 {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	if _, has := r.JSON(t)["refresh"]; has {
		t.Fatalf("cookie mode: refresh in the body: %s", r.Body)
	}
	if r.Str(t, "access") == "" {
		t.Fatalf("no access token: %s", r.Body)
	}
	c := refreshCookie(t, r)
	if c == nil || c.Value == "" {
		t.Fatalf("no refresh_token cookie: %v", r.Header["Set-Cookie"])
	}
	return c
}

// TestCookieModeFlags checks the cookie's attributes, Secure included
// unless AUTH_COOKIE_INSECURE is on.
func TestCookieModeFlags(t *testing.T) {
	t.Parallel()
	for _, insecure := range []string{"off", "on"} {
		s := cookieServer(t, insecure)
		c := loginCookie(t, s, "flags")
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/api/auth/" || c.MaxAge <= 0 {
			t.Errorf("insecure=%s: cookie %+v", insecure, c)
		}
		if c.Secure != (insecure == "off") {
			t.Errorf("insecure=%s: Secure=%v", insecure, c.Secure)
		}
	}
}

// TestCookieModeRefreshAndCSRF refreshes and logs out with the cookie, and
// checks that the CSRF rule refuses requests without an allowed Origin or
// without the custom header.
func TestCookieModeRefreshAndCSRF(t *testing.T) {
	t.Parallel()
	s := cookieServer(t, "on")
	c := loginCookie(t, s, "csrf")
	send := func(path string, c *http.Cookie, h map[string]string) *testserver.Response {
		hdr := map[string]string{"Cookie": c.Name + "=" + c.Value}
		for k, v := range h {
			hdr[k] = v
		}
		return s.Do(testserver.Request{Method: "POST", Path: path, Header: hdr})
	}
	xhr := map[string]string{"Origin": spaOrigin, "X-Requested-With": "XMLHttpRequest"}
	for _, bad := range []map[string]string{
		{"X-Requested-With": "XMLHttpRequest"},
		{"Origin": "http://evil.localhost:5173", "X-Requested-With": "XMLHttpRequest"},
		{"Origin": spaOrigin},
		{"Origin": spaOrigin, "X-Requested-With": "fetch"},
	} {
		for _, path := range []string{"/api/auth/token/refresh/", "/api/auth/logout/"} {
			r := send(path, c, bad)
			if r.Status != http.StatusForbidden || r.Str(t, "code") != "csrf_failed" {
				t.Errorf("%s with %v: %d %s, want 403 csrf_failed", path, bad, r.Status, r.Body)
			}
		}
	}
	r := send("/api/auth/token/refresh", c, xhr)
	if r.Status != 200 {
		t.Fatalf("refresh with cookie: %d %s", r.Status, r.Body)
	}
	if _, has := r.JSON(t)["refresh"]; has {
		t.Errorf("refresh answer has refresh in the body: %s", r.Body)
	}
	next := refreshCookie(t, r)
	if next == nil || next.Value == c.Value {
		t.Fatalf("refresh did not rotate the cookie: %v", r.Header["Set-Cookie"])
	}
	// X-CSRF-Token is the other accepted header; the API's own origin is allowed.
	r = send("/api/auth/token/refresh/", next, map[string]string{"Origin": s.URL, "X-CSRF-Token": "1"})
	if r.Status != 200 {
		t.Fatalf("same-origin refresh: %d %s", r.Status, r.Body)
	}
	last := refreshCookie(t, r)
	r = send("/api/auth/logout/", last, xhr)
	if r.Status != 200 {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if cl := refreshCookie(t, r); cl == nil || cl.MaxAge >= 0 || cl.Value != "" {
		t.Errorf("logout did not clear the cookie: %v", r.Header["Set-Cookie"])
	}
	if r := send("/api/auth/token/refresh/", last, xhr); r.Status != http.StatusUnauthorized {
		t.Errorf("refresh after logout: %d %s", r.Status, r.Body)
	}
}

// TestCookieModeBodyStillWorks: a refresh token in the body (scripts) is
// used without the CSRF check, which only guards the ambient cookie; the
// successor comes back in the body, as no cookie may be set without the
// check (TestCookieModeBodyRefreshPlantsNoCookie).
func TestCookieModeBodyStillWorks(t *testing.T) {
	t.Parallel()
	s := cookieServer(t, "on")
	c := loginCookie(t, s, "body")
	r := s.Post("/api/auth/token/refresh/", map[string]string{"refresh": c.Value})
	if r.Status != 200 || refreshCookie(t, r) != nil || r.Str(t, "refresh") == "" {
		t.Fatalf("body refresh: %d %s %v", r.Status, r.Body, r.Header["Set-Cookie"])
	}
}

// TestCookieModeOff: by default the refresh token is in the body and a
// cookie is ignored.
func TestCookieModeOff(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	p, _ := s.NewUser("qp")
	r := s.Do(testserver.Request{Method: "POST", Path: "/api/auth/token/refresh/",
		Header: map[string]string{"Cookie": "refresh_token=" + p.Refresh, "Origin": s.URL, "X-Requested-With": "XMLHttpRequest"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "refresh") {
		t.Errorf("cookie used with the mode off: %d %s", r.Status, r.Body)
	}
}

// TestCORSPreflight: the SPA's origin may call with credentials and the
// CSRF header; another origin gets no CORS grant.
func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	s := cookieServer(t, "on")
	pre := func(origin string) *testserver.Response {
		return s.Do(testserver.Request{Method: "OPTIONS", Path: "/api/auth/token/refresh/", Header: map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-requested-with",
		}})
	}
	r := pre(spaOrigin)
	if r.Status != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != spaOrigin ||
		r.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("preflight: %d %v", r.Status, r.Header)
	}
	if r := pre("http://evil.localhost"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("evil origin granted: %v", r.Header)
	}
}

// TestCookieModeKeepsCookieOnServerError: a refresh that fails on our side
// (here the database is gone) leaves the refresh cookie alone: the token
// was not used, and works again once the service does. Only a refused token
// (401) is cleared from the browser.
func TestCookieModeKeepsCookieOnServerError(t *testing.T) {
	t.Parallel()
	s := cookieServer(t, "on")
	c := loginCookie(t, s, "outage")
	if err := s.App.Store.Close(); err != nil {
		t.Fatal(err)
	}
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/token/refresh/", NoContract: true,
		Header: map[string]string{"Cookie": c.Name + "=" + c.Value, "Origin": spaOrigin, "X-Requested-With": "XMLHttpRequest"}})
	if r.Status < 500 {
		t.Fatalf("refresh with the database closed: %d %s, want 5xx", r.Status, r.Body)
	}
	if got := refreshCookie(t, r); got != nil {
		t.Fatalf("a server-side failure cleared the refresh cookie: %v", r.Header["Set-Cookie"])
	}
}
