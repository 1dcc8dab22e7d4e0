package handlers_test

import (
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

// TestCookieModeMFAStepChecksCSRFFirst is login CSRF through the second
// step: in cookie mode finishing a /token/ login plants the refresh cookie,
// so a form on another site posting the attacker's mfa_token and code would
// sign the victim's browser into the attacker's account. The step must pass
// the same check as /token/, before the token and the code are spent (the
// refused request costs the real client nothing), and a login started at
// an API-key endpoint (no cookie) needs no such headers.
func TestCookieModeMFAStepChecksCSRFFirst(t *testing.T) {
	t.Parallel()
	s := cookieServer(t, "on")
	xhr := map[string]string{"Origin": spaOrigin, "X-Requested-With": "XMLHttpRequest"}
	pw := "pw-Xk7#long-enough-1"
	s.Register("cookiemfa", pw)
	creds := map[string]string{"username": "cookiemfa", "password": pw}
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/token/", JSON: creds, Header: xhr})
	wantStatus(t, r, http.StatusOK)
	access := r.Str(t, "access")
	u := &mfaUser{name: "cookiemfa", pw: pw}
	u.secret = enrol(t, s, access, pw)
	confirmTOTP(t, s, access, u.now(t, s))

	r = s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/token/", JSON: creds, Header: xhr})
	tok := wantError(t, r, http.StatusForbidden, "mfa_required")["mfa_token"].(string)
	if c := refreshCookie(t, r); c != nil {
		t.Fatalf("the first step set a refresh cookie: %v", c)
	}
	code := u.fresh(t, s)
	body := map[string]string{"mfa_token": tok, "code": code}
	for _, h := range []map[string]string{
		{"Origin": "http://evil.localhost"},
		{"Origin": spaOrigin},
		nil,
	} {
		r = s.Do(testserver.Request{Method: http.MethodPost, Path: pathTokenMFA, JSON: body, Header: h})
		if wantError(t, r, http.StatusForbidden, "csrf_failed"); refreshCookie(t, r) != nil {
			t.Fatalf("a refused step set a cookie (headers %v)", h)
		}
	}
	// Neither the token nor the code was spent by the refused requests.
	r = s.Do(testserver.Request{Method: http.MethodPost, Path: pathTokenMFA, JSON: body, Header: xhr})
	wantStatus(t, r, http.StatusOK)
	if c := refreshCookie(t, r); c == nil || c.Value == "" {
		t.Fatalf("the finished login set no refresh cookie: %v", r.Header["Set-Cookie"])
	}

	// An API-key login's second step sets no cookie and needs no headers.
	r = s.Post("/api-token-auth/", creds)
	tok = wantError(t, r, http.StatusForbidden, "mfa_required")["mfa_token"].(string)
	r = finish(s, tok, u.fresh(t, s))
	wantStatus(t, r, http.StatusOK)
	if r.Str(t, "token") == "" || refreshCookie(t, r) != nil {
		t.Fatalf("api-key second step: %s, cookie %v", r.Body, refreshCookie(t, r))
	}
}
