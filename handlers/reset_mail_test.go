package handlers_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// outboxToken asks for a password reset and returns the token from the mail
// the service wrote to its outbox (no SMTP configured). The outbox holds
// other mail too (verification links, notices), so the reset is the one
// new reset link.
func outboxToken(t *testing.T, srv *testserver.Server, email string) string {
	t.Helper()
	before := outboxMails(t, srv)
	if r := srv.Post(resetPath, map[string]string{"email": email}); r.Status != http.StatusAccepted {
		t.Fatalf("reset request: %d %s", r.Status, r.Body)
	}
	token, m := newLink(t, before, outboxMails(t, srv), resetPage)
	if !strings.EqualFold(m.To, email) {
		t.Fatalf("reset link for %s mailed to %s", email, m.To)
	}
	return token
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

func TestPasswordResetOverSMTP(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	registerWithEmail(t, e.srv, "ann", "ann@example.test", annPassword)
	old1, old2 := e.srv.Login("ann", annPassword), e.srv.Login("ann", annPassword)

	// The address matches without regard to case.
	token, m := e.requestMail(t, "ANN@Example.test")
	msg := m.Envelope
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
	// Registration mailed verification links too: count the reset links.
	if msgs := e.resetMails(t); len(msgs) != 1 || msgs[0].Envelope.To[0] != "ann@example.test" {
		t.Fatalf("reset links sent to %v, want only ann", msgs)
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
	// The registration's verification link is in the outbox too: every
	// file is a finished .eml readable by the owner only, and one of them
	// holds the reset link.
	msgs := outboxMails(t, srv)
	entries, err := os.ReadDir(filepath.Join(srv.Dir, "data", "outbox"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(msgs) || len(msgs) == 0 {
		t.Fatalf("outbox holds %v, want only .eml files", entries)
	}
	for _, e := range entries {
		if info, _ := e.Info(); info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
	tokens := tokensTo(t, msgs, "ann@example.test", resetPage)
	if len(tokens) != 1 {
		t.Fatalf("%d reset links in the outbox, want 1", len(tokens))
	}
	token := tokens[0]
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
	if n := len(e.resetMails(t)); n != 3 {
		t.Fatalf("%d mails for 5 requests, want 3", n)
	}
	// Once the links expire, a new one is sent again.
	e.srv.Clock.Advance(time.Hour + time.Second)
	token := e.requestToken(t, "ann@example.test")
	if r := confirm(e.srv, token, newPassword); r.Status != http.StatusOK {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
}
