package handlers_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"authsvc/internal/smtptest"
	"authsvc/internal/testserver"
)

// verifyMailToken returns the token of a verification link mailed to `to`
// (the service writes to its outbox: no SMTP configured).
func verifyMailToken(t *testing.T, srv *testserver.Server, to string) string {
	t.Helper()
	flush(t, srv)
	dir := filepath.Join(srv.Dir, "data", "outbox")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("outbox: %v", err)
	}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		p := smtptest.Parse(t, raw)
		if !strings.Contains(p.Header.Get("To"), "<"+to+">") || !strings.Contains(p.Text, "/verify-email?token=") {
			continue
		}
		if m := tokenRE.FindStringSubmatch(p.Text); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no verification link to %s among %d messages", to, len(entries))
	return ""
}

// TestContractEmailOwnership walks the email ownership answers through
// testserver, whose Do validates each against openapi.json: registration
// without an address, the three logins' 403 email_not_verified, resend,
// verify (good, bad, used, wrong content type) with
// AUTH_EMAIL_VERIFICATION=required, and a pending address change.
func TestContractEmailOwnership(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_EMAIL_VERIFICATION": "required"}})
	const pw, addr = "correct-Horse-battery-9", "ev@example.test"
	creds := map[string]string{"username": "ev", "password": pw}
	steps := []struct {
		name string
		req  testserver.Request
		want int
		code string // the error code expected, if any
	}{
		{"register without email", testserver.Request{Method: "POST", Path: "/api/auth/register/", JSON: creds}, 400, ""},
		{"register", testserver.Request{Method: "POST", Path: "/api/auth/register/", JSON: map[string]string{"username": "ev", "password": pw, "email": addr}}, 201, ""},
		{"token login", testserver.Request{Method: "POST", Path: "/api/auth/token/", JSON: creds}, 403, "email_not_verified"},
		{"key login", testserver.Request{Method: "POST", Path: "/api-token-auth/", JSON: creds}, 403, "email_not_verified"},
		{"accounts login", testserver.Request{Method: "POST", Path: "/api/accounts/login/", JSON: creds}, 403, "email_not_verified"},
		{"resend unknown", testserver.Request{Method: "POST", Path: "/api/auth/email/verify/resend/", JSON: map[string]string{"email": "nobody@example.test"}}, 202, ""},
		{"resend malformed", testserver.Request{Method: "POST", Path: "/api/auth/email/verify/resend", JSON: map[string]string{"email": "nope"}}, 400, ""},
		{"resend", testserver.Request{Method: "POST", Path: "/api/auth/email/verify/resend/", JSON: map[string]string{"email": addr}}, 202, ""},
		{"verify garbage", testserver.Request{Method: "POST", Path: "/api/auth/email/verify/", JSON: map[string]string{"token": "garbage"}}, 400, ""},
		{"verify missing", testserver.Request{Method: "POST", Path: "/api/auth/email/verify", JSON: map[string]string{}}, 400, ""},
		{"verify 415", testserver.Request{Method: "POST", Path: "/api/auth/email/verify/", Body: strings.NewReader("x"), ContentType: "text/plain"}, 415, ""},
	}
	for _, st := range steps {
		r := s.Do(st.req)
		if r.Status != st.want || (st.code != "" && r.Str(t, "code") != st.code) {
			t.Errorf("%s: %d, want %d %s: %.300s", st.name, r.Status, st.want, st.code, r.Body)
		}
	}

	token := verifyMailToken(t, s, addr)
	form := testserver.Request{Method: "POST", Path: "/api/auth/email/verify/", Body: strings.NewReader("token=" + token), ContentType: "application/x-www-form-urlencoded"}
	if r := s.Do(form); r.Status != http.StatusOK || r.JSON(t)["email_verified"] != true {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	if r := s.Post("/api/auth/email/verify/", map[string]string{"token": token}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "token") {
		t.Fatalf("verify again: %d %s", r.Status, r.Body)
	}

	pair := s.Login("ev", pw)
	change := map[string]string{"email": "ev2@example.test", "current_password": pw}
	r := s.Do(testserver.Request{Method: "PATCH", Path: "/api/auth/profile/", Bearer: pair.Access, JSON: change})
	if u := r.JSON(t); r.Status != http.StatusOK || u["email"] != addr || u["pending_email"] != "ev2@example.test" {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	if r := s.Post("/api/auth/email/verify/", map[string]string{"token": verifyMailToken(t, s, "ev2@example.test")}); r.Status != http.StatusOK || r.JSON(t)["email"] != "ev2@example.test" || r.JSON(t)["pending_email"] != nil {
		t.Fatalf("verify change: %d %s", r.Status, r.Body)
	}
}
