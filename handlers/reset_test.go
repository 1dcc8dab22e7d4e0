package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"authsvc/internal/smtptest"
	"authsvc/internal/testserver"
)

const (
	resetPath   = "/api/auth/password/reset/"
	confirmPath = "/api/auth/password/reset/confirm/"
	resetPage   = "https://app.example.test/reset-password"
	annPassword = "Old-pass-for-ann-9x"
	newPassword = "Brand-new-secret-77q"
)

type resetEnv struct {
	srv  *testserver.Server
	smtp *smtptest.Server
	log  *testserver.LogBuffer
}

// newResetEnv starts a test SMTP server and the service pointed at it.
func newResetEnv(t *testing.T) *resetEnv {
	t.Helper()
	return newMailEnv(t, nil)
}

// newMailEnv is newResetEnv with more settings (env), such as
// AUTH_EMAIL_VERIFICATION.
func newMailEnv(t *testing.T, env map[string]string) *resetEnv {
	t.Helper()
	e := &resetEnv{smtp: smtptest.Start(t), log: &testserver.LogBuffer{}}
	all := map[string]string{
		"AUTH_SMTP_URL":   e.smtp.URL(),
		"AUTH_RESET_URL":  resetPage,
		"AUTH_VERIFY_URL": verifyPage,
		"AUTH_MAIL_FROM":  "authsvc <no-reply@example.test>",
	}
	for k, v := range env {
		all[k] = v
	}
	// The clock starts a few seconds into a TOTP step (as mfaServer's), for
	// the tests that turn a second factor on.
	clock := testserver.NewClockAt(time.Now().UTC().Truncate(totpStep).Add(5 * time.Second))
	e.srv = testserver.New(t, testserver.Options{Log: e.log, Env: all, Clock: clock})
	return e
}

// registerWithEmail creates a user with an email address.
func registerWithEmail(t *testing.T, srv *testserver.Server, username, email, password string) int64 {
	t.Helper()
	r := srv.Post("/api/auth/register/", map[string]string{"username": username, "email": email, "password": password})
	if r.Status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", username, r.Status, r.Body)
	}
	return int64(r.JSON(t)["id"].(float64))
}

// requestToken asks for a reset and returns the token from the mail.
func (e *resetEnv) requestToken(t *testing.T, email string) string {
	t.Helper()
	token, _ := e.requestMail(t, email)
	return token
}

// requestMail asks for a reset and returns the token and the mail that
// brought it: the one new reset link the SMTP server received (other mail,
// such as the verification link of a registration, may arrive meanwhile).
func (e *resetEnv) requestMail(t *testing.T, email string) (string, sentMail) {
	t.Helper()
	before := e.mails(t)
	r := e.srv.Post(resetPath, map[string]string{"email": email})
	if r.Status != http.StatusAccepted {
		t.Fatalf("reset request: %d %s", r.Status, r.Body)
	}
	return newLink(t, before, e.mails(t), resetPage)
}

// mails are the messages the SMTP server received so far, once the queue
// is empty.
func (e *resetEnv) mails(t *testing.T) []sentMail {
	t.Helper()
	return smtpMails(t, e.srv, e.smtp)
}

// resetMails are the mails with a reset link.
func (e *resetEnv) resetMails(t *testing.T) []sentMail {
	t.Helper()
	var out []sentMail
	for _, m := range e.mails(t) {
		if linkToken(t, m, resetPage) != "" {
			out = append(out, m)
		}
	}
	return out
}

func confirm(srv *testserver.Server, token, password string) *testserver.Response {
	return srv.Post(confirmPath, map[string]string{"token": token, "new_password": password})
}

func wantInvalidToken(t *testing.T, r *testserver.Response) {
	t.Helper()
	if r.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
	}
	var body map[string][]string
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body["token"]) != 1 || body["token"][0] != "Invalid or expired token." {
		t.Fatalf("body %s, want the invalid token error", r.Body)
	}
}

func TestPasswordResetRefusesBadTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// spoil runs between the request and the confirm; it returns the
		// token to present.
		spoil func(t *testing.T, e *resetEnv, token string) string
	}{
		{"wrong token", func(t *testing.T, e *resetEnv, token string) string {
			return strings.Repeat("A", len(token))
		}},
		{"expired token", func(t *testing.T, e *resetEnv, token string) string {
			e.srv.Clock.Advance(time.Hour + time.Second)
			return token
		}},
		{"void after a password change", func(t *testing.T, e *resetEnv, token string) string {
			p := e.srv.Login("ann", annPassword)
			r := e.srv.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/password/change/", Bearer: p.Access,
				JSON: map[string]string{"old_password": annPassword, "new_password": "Changed-by-ann-42z"}})
			if r.Status != http.StatusOK {
				t.Fatalf("password change: %d %s", r.Status, r.Body)
			}
			return token
		}},
		{"void after an email change", func(t *testing.T, e *resetEnv, token string) string {
			// The change lands when the new address's link is used.
			p := e.srv.Login("ann", annPassword)
			before := e.mails(t)
			wantStatus(t, changeEmail(e.srv, p.Access, "ann-new@example.test", annPassword), http.StatusOK)
			wantStatus(t, verifyEmail(e.srv, e.linkTo(t, before, "ann-new@example.test")), http.StatusOK)
			wantAddress(t, e.srv, "ann", "ann-new@example.test", "")
			return token
		}},
		{"void after a later reset", func(t *testing.T, e *resetEnv, token string) string {
			second := e.requestToken(t, "ann@example.test")
			if r := confirm(e.srv, second, "Changed-by-reset-42z"); r.Status != http.StatusOK {
				t.Fatalf("second reset: %d %s", r.Status, r.Body)
			}
			return token
		}},
		{"user deactivated", func(t *testing.T, e *resetEnv, token string) string {
			u, err := e.srv.App.Store.UserByUsernameKey(context.Background(), "ann")
			if err != nil {
				t.Fatal(err)
			}
			if err := e.srv.App.Store.UpdateUser(context.Background(), u.ID, map[string]any{"is_active": false}); err != nil {
				t.Fatal(err)
			}
			return token
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newResetEnv(t)
			registerWithEmail(t, e.srv, "ann", "ann@example.test", annPassword)
			token := e.requestToken(t, "ann@example.test")
			wantInvalidToken(t, confirm(e.srv, tc.spoil(t, e, token), newPassword))
			if r := e.srv.Post("/api/auth/token/", map[string]string{"username": "ann", "password": newPassword}); r.Status != http.StatusUnauthorized {
				t.Fatalf("the refused reset set the password: %d", r.Status)
			}
		})
	}
}

func TestPasswordResetConfirmValidation(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	registerWithEmail(t, e.srv, "ann", "ann@example.test", annPassword)
	token := e.requestToken(t, "ann@example.test")

	r := e.srv.Post(confirmPath, map[string]string{})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"token":["This field is required."]`) ||
		!strings.Contains(string(r.Body), `"new_password":["This field is required."]`) {
		t.Fatalf("empty body: %d %s", r.Status, r.Body)
	}
	// The registration policy applies, and a refused password leaves the
	// token usable.
	for _, weak := range []string{"short", "12345678901", "password123", "ann@example.test1"} {
		r := confirm(e.srv, token, weak)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"new_password"`) {
			t.Fatalf("weak password %q: %d %s", weak, r.Status, r.Body)
		}
	}
	if r := confirm(e.srv, token, newPassword); r.Status != http.StatusOK {
		t.Fatalf("confirm after refusals: %d %s", r.Status, r.Body)
	}
}

func TestPasswordResetConcurrentConfirmsOneWins(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	registerWithEmail(t, e.srv, "ann", "ann@example.test", annPassword)
	token := e.requestToken(t, "ann@example.test")
	const n = 6
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body, _ := json.Marshal(map[string]string{"token": token, "new_password": newPassword + string(rune('a'+i))})
			resp, err := e.srv.Client.Post(e.srv.URL+confirmPath, "application/json", bytes.NewReader(body))
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}(i)
	}
	wg.Wait()
	close(codes)
	ok := 0
	for c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusBadRequest:
		default:
			t.Fatalf("status %d", c)
		}
	}
	if ok != 1 {
		t.Fatalf("%d confirms succeeded, want exactly 1", ok)
	}
}
