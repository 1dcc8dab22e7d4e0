package handlers_test

import (
	"fmt"
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

// TestCookieModeLoginNeedsAllowedOrigin is login CSRF: in cookie mode the
// login answer plants a refresh cookie, so a form on another site posting
// the attacker's credentials would sign the victim's browser into the
// attacker's account. Login must pass the same Origin + header check as a
// cookie refresh, and a refused login must set no cookie.
func TestCookieModeLoginNeedsAllowedOrigin(t *testing.T) {
	t.Parallel()
	s := cookieServer(t, "on")
	s.Register("csrflogin", "pw-Xk7#long-enough-1")
	creds := map[string]string{"username": "csrflogin", "password": "pw-Xk7#long-enough-1"}
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"cross-origin form", map[string]string{"Origin": "http://evil.localhost"}, http.StatusForbidden},
		{"cross-origin with header", map[string]string{"Origin": "http://evil.localhost", "X-Requested-With": "XMLHttpRequest"}, http.StatusForbidden},
		{"no Origin", map[string]string{"X-Requested-With": "XMLHttpRequest"}, http.StatusForbidden},
		{"allowed Origin, no header", map[string]string{"Origin": spaOrigin}, http.StatusForbidden},
		{"allowed SPA", map[string]string{"Origin": spaOrigin, "X-Requested-With": "XMLHttpRequest"}, http.StatusOK},
		{"same origin", map[string]string{"Origin": s.URL, "X-CSRF-Token": "1"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/token/", JSON: creds, Header: tc.header})
			if r.Status != tc.want {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, tc.want)
			}
			c := refreshCookie(t, r)
			if tc.want != http.StatusOK {
				if r.Str(t, "code") != "csrf_failed" || c != nil {
					t.Errorf("refused login: code %q, cookie %v", r.Str(t, "code"), c)
				}
				return
			}
			if c == nil || c.Value == "" {
				t.Errorf("allowed login set no cookie: %v", r.Header["Set-Cookie"])
			}
		})
	}
}

// TestCookieModeRefusedLogoutKeepsCookie is forced logout: a logout whose
// body holds garbage (or someone else's token) is refused or ends that
// other session, and must never clear the caller's cookie.
func TestCookieModeRefusedLogoutKeepsCookie(t *testing.T) {
	t.Parallel()
	s := cookieServer(t, "on")
	mine := loginCookie(t, s, "victim")
	theirs := loginCookie(t, s, "attacker")
	xhr := map[string]string{"Cookie": mine.Name + "=" + mine.Value, "Origin": spaOrigin, "X-Requested-With": "XMLHttpRequest"}
	// What a form on another site sends: no cookie (SameSite=Strict), but
	// the answer's Set-Cookie would still reach the victim's browser.
	form := map[string]string{"Origin": "http://evil.localhost"}
	for _, tc := range []struct {
		name    string
		body    any
		headers []map[string]string
		want    int
	}{
		{"garbage token", map[string]string{"refresh": "garbage"}, []map[string]string{form, xhr}, http.StatusUnauthorized},
		{"blank token", map[string]string{"refresh": ""}, []map[string]string{form, xhr}, http.StatusBadRequest},
		{"null token", map[string]any{"refresh": nil}, []map[string]string{form, xhr}, http.StatusBadRequest},
		{"another user's token", map[string]string{"refresh": theirs.Value}, []map[string]string{form}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, h := range tc.headers {
				r := s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/logout/", JSON: tc.body, Header: h})
				if r.Status != tc.want {
					t.Fatalf("headers %v: %d %s, want %d", h, r.Status, r.Body, tc.want)
				}
				if c := refreshCookie(t, r); c != nil {
					t.Errorf("headers %v: logout with %v touched the caller's cookie: %v", h, tc.body, r.Header["Set-Cookie"])
				}
			}
		})
	}
	// The victim's session is intact, and its own logout still clears.
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/token/refresh/", Header: xhr})
	if r.Status != http.StatusOK {
		t.Fatalf("victim's refresh after the refused logouts: %d %s", r.Status, r.Body)
	}
	next := refreshCookie(t, r)
	r = s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/logout/",
		Header: map[string]string{"Cookie": next.Name + "=" + next.Value, "Origin": spaOrigin, "X-Requested-With": "XMLHttpRequest"}})
	if c := refreshCookie(t, r); r.Status != http.StatusOK || c == nil || c.MaxAge >= 0 {
		t.Errorf("own logout: %d %s, cookie %v", r.Status, r.Body, r.Header["Set-Cookie"])
	}
}

// TestCookieModeBodyRefreshPlantsNoCookie is login CSRF through refresh: a
// form on another site posting the attacker's refresh token in the body
// must not make the victim's browser store the attacker's session. A body
// refresh that does not pass the CSRF check (a script, a cross-site form)
// gets both tokens in the JSON and no cookie; one that passes it (the SPA)
// gets the cookie as usual.
func TestCookieModeBodyRefreshPlantsNoCookie(t *testing.T) {
	t.Parallel()
	s := cookieServer(t, "on")
	for i, tc := range []struct {
		name       string
		header     map[string]string
		wantCookie bool
	}{
		{"cross-site form", map[string]string{"Origin": "http://evil.localhost"}, false},
		{"script without Origin", nil, false},
		{"allowed Origin, no header", map[string]string{"Origin": spaOrigin}, false},
		{"allowed SPA", map[string]string{"Origin": spaOrigin, "X-Requested-With": "XMLHttpRequest"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			theirs := loginCookie(t, s, fmt.Sprintf("planter%d", i))
			r := s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/token/refresh/",
				JSON: map[string]string{"refresh": theirs.Value}, Header: tc.header})
			wantStatus(t, r, http.StatusOK)
			c := refreshCookie(t, r)
			_, inBody := r.JSON(t)["refresh"]
			if tc.wantCookie {
				if c == nil || c.Value == "" || inBody {
					t.Fatalf("allowed refresh: cookie %v, refresh in body %v", c, inBody)
				}
				return
			}
			if c != nil {
				t.Fatalf("refresh without the CSRF check set a cookie: %v", r.Header["Set-Cookie"])
			}
			if !inBody {
				t.Fatalf("refresh without a cookie must answer the refresh token in the body: %s", r.Body)
			}
		})
	}
}
