package handlers_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"authsvc/internal/smtptest"
	"authsvc/internal/testserver"
)

// outboxToken asks for a password reset and returns the token from the mail
// the service wrote to its outbox (no SMTP configured), newest message last.
func outboxToken(t *testing.T, srv *testserver.Server, email string) string {
	t.Helper()
	if r := srv.Post(resetPath, map[string]string{"email": email}); r.Status != http.StatusAccepted {
		t.Fatalf("reset request: %d %s", r.Status, r.Body)
	}
	flush(t, srv)
	dir := filepath.Join(srv.Dir, "data", "outbox")
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		t.Fatalf("outbox: %v, %d messages", err, len(entries))
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	sort.Strings(names)
	raw, err := os.ReadFile(filepath.Join(dir, names[len(names)-1]))
	if err != nil {
		t.Fatal(err)
	}
	return tokenFromMail(t, raw)
}

// flush waits until the service's mail queue has handled every message.
func flush(t *testing.T, srv *testserver.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.App.Mail.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

var tokenRE = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// tokenFromMail reads the reset link out of a raw message.
func tokenFromMail(t *testing.T, raw []byte) string {
	t.Helper()
	p := smtptest.Parse(t, raw)
	if !strings.Contains(p.Text, resetPage+"?token=") {
		t.Fatalf("text part has no link to %s: %q", resetPage, p.Text)
	}
	m := tokenRE.FindStringSubmatch(p.Text)
	if m == nil {
		t.Fatalf("no token in %q", p.Text)
	}
	if !strings.Contains(p.HTML, "token="+m[1]) {
		t.Fatalf("html part lacks the same token: %q", p.HTML)
	}
	if len(m[1]) < 43 { // 32 random bytes, base64url
		t.Fatalf("token %d characters, want >= 43", len(m[1]))
	}
	return m[1]
}

func TestPasswordResetOverSMTP(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	registerWithEmail(t, e.srv, "ann", "ann@example.test", annPassword)
	old1, old2 := e.srv.Login("ann", annPassword), e.srv.Login("ann", annPassword)

	// The address matches without regard to case.
	token := e.requestToken(t, "ANN@Example.test")
	msg := e.smtp.Messages()[0]
	if len(msg.To) != 1 || msg.To[0] != "ann@example.test" || msg.From != "no-reply@example.test" {
		t.Fatalf("envelope from %q to %v", msg.From, msg.To)
	}

	r := confirm(e.srv, token, newPassword)
	if r.Status != http.StatusOK {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	e.srv.Login("ann", newPassword)
	if r := e.srv.Post("/api/auth/token/", map[string]string{"username": "ann", "password": annPassword}); r.Status != http.StatusUnauthorized {
		t.Fatalf("old password still logs in: %d", r.Status)
	}
	for _, p := range []testserver.Pair{old1, old2} {
		if r := e.srv.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/", Bearer: p.Access}); r.Status != http.StatusUnauthorized {
			t.Fatalf("old access token after reset: %d %s", r.Status, r.Body)
		}
		if r := e.srv.Post("/api/auth/token/refresh/", map[string]string{"refresh": p.Refresh}); r.Status != http.StatusUnauthorized {
			t.Fatalf("old refresh token after reset: %d %s", r.Status, r.Body)
		}
	}
	// Single use.
	wantInvalidToken(t, confirm(e.srv, token, "Another-new-secret-88"))
	e.srv.Login("ann", newPassword)

	flush(t, e.srv)
	if out := e.log.String(); strings.Contains(out, token) || strings.Contains(out, "token="+token[:8]) {
		t.Fatalf("the reset token reached the log:\n%s", out)
	} else if !strings.Contains(out, "mail sent") {
		t.Fatalf("log has no delivery line:\n%s", out)
	}
}

func TestPasswordResetSameAnswerForEveryAddress(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	registerWithEmail(t, e.srv, "ann", "ann@example.test", annPassword)
	id := registerWithEmail(t, e.srv, "ina", "ina@example.test", annPassword)
	if err := e.srv.App.Store.UpdateUser(context.Background(), id, map[string]any{"is_active": false}); err != nil {
		t.Fatal(err)
	}
	var first *testserver.Response
	for _, addr := range []string{"nobody@example.test", "ina@example.test", "ann@example.test"} {
		r := e.srv.Post(resetPath, map[string]string{"email": addr})
		if r.Status != http.StatusAccepted {
			t.Fatalf("%s: %d %s", addr, r.Status, r.Body)
		}
		if first == nil {
			first = r
		} else if !bytes.Equal(first.Body, r.Body) {
			t.Fatalf("answers differ: %s vs %s", first.Body, r.Body)
		}
	}
	if got := first.Str(t, "detail"); got != "If the address is registered, a reset link has been sent." {
		t.Fatalf("detail %q", got)
	}
	flush(t, e.srv)
	msgs := e.smtp.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "ann@example.test" {
		t.Fatalf("mail sent to %v, want only ann", msgs)
	}
	if r := e.srv.Post(resetPath, map[string]string{"email": "not-an-address"}); r.Status != http.StatusBadRequest ||
		!strings.Contains(string(r.Body), `"email"`) {
		t.Fatalf("invalid address: %d %s", r.Status, r.Body)
	}
}

func TestPasswordResetWritesOutboxWithoutSMTP(t *testing.T) {
	t.Parallel()
	log := &testserver.LogBuffer{}
	srv := testserver.New(t, testserver.Options{Log: log, Env: map[string]string{"AUTH_RESET_URL": resetPage}})
	registerWithEmail(t, srv, "ann", "ann@example.test", annPassword)
	if r := srv.Post(resetPath, map[string]string{"email": "ann@example.test"}); r.Status != http.StatusAccepted {
		t.Fatalf("reset request: %d %s", r.Status, r.Body)
	}
	flush(t, srv)
	dir := filepath.Join(srv.Dir, "data", "outbox")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), ".eml") {
		t.Fatalf("outbox holds %v, want one .eml", entries)
	}
	if info, _ := entries[0].Info(); info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", info.Mode().Perm())
	}
	raw, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	token := tokenFromMail(t, raw)
	if r := confirm(srv, token, newPassword); r.Status != http.StatusOK {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	srv.Login("ann", newPassword)
	if out := log.String(); strings.Contains(out, token) {
		t.Fatalf("the reset token reached the log:\n%s", out)
	}
}

func TestPasswordResetBoundsOutstandingLinks(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	registerWithEmail(t, e.srv, "ann", "ann@example.test", annPassword)
	for i := 0; i < 5; i++ {
		if r := e.srv.Post(resetPath, map[string]string{"email": "ann@example.test"}); r.Status != http.StatusAccepted {
			t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
		}
	}
	flush(t, e.srv)
	if n := len(e.smtp.Messages()); n != 3 {
		t.Fatalf("%d mails for 5 requests, want 3", n)
	}
	// Once the links expire, a new one is sent again.
	e.srv.Clock.Advance(time.Hour + time.Second)
	token := e.requestToken(t, "ann@example.test")
	if r := confirm(e.srv, token, newPassword); r.Status != http.StatusOK {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
}
