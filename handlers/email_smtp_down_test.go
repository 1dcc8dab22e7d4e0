package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"authsvc/internal/testserver"
	"authsvc/mail"
)

func changePassword(s *testserver.Server, access, from, to string) *testserver.Response {
	return s.Do(testserver.Request{Method: http.MethodPost, Path: pathPassword, Bearer: access,
		JSON: map[string]string{"old_password": from, "new_password": to}})
}

// A mail server that refuses delivers the notice late: the request that
// caused it answers as usual, the refusal is retried by the mail queue,
// and the notice then arrives, once.
func TestNoticeRetriedWhenSMTPRefuses(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, nil)
	e.registerVerified(t, "ann", "ann@example.test", annPassword)
	access := e.srv.Login("ann", annPassword).Access
	before := len(e.mails(t)) // the queue is empty: the next delivery is the notice's
	e.smtp.FailNext(1)
	wantStatus(t, changePassword(e.srv, access, annPassword, newPassword), http.StatusOK)
	notices := noticesTo(e.mails(t)[before:], "ann@example.test") // waits out the retry
	if len(notices) != 1 || notices[0].Subject != noticeSubject(t, mail.KindPasswordChanged) {
		t.Fatalf("notices after a refusal: %+v, want the password_changed notice once", notices)
	}
	if out := e.log.String(); !strings.Contains(out, `"msg":"mail delivery failed, will retry"`) ||
		!strings.Contains(out, `"kind":"`+mail.KindPasswordChanged+`"`) {
		t.Fatalf("no retry logged for the notice:\n%s", out)
	}
}

// A mail server that accepts the connection and then says nothing holds
// the mail worker, not the request: the requests that cause notices
// answer while the notice's delivery attempt is still open, and the queue
// keeps the notices. (The service gives up on them at shutdown.)
func TestNoticeDoesNotWaitForHungSMTP(t *testing.T) {
	t.Parallel()
	h := startHangingSMTP(t)
	// Verification off: the first mail the worker tries is the notice.
	s := hungServer(t, h, map[string]string{"AUTH_EMAIL_VERIFICATION": "off"})
	registerWithEmail(t, s, "ann", "ann@example.test", annPassword)
	access := s.Login("ann", annPassword).Access
	if accepted, _ := h.state(); accepted != 0 {
		t.Fatalf("mail before any notice: %d connections", accepted)
	}
	wantStatus(t, changePassword(s, access, annPassword, newPassword), http.StatusOK)
	h.awaitConnection(t)
	// A second event while the worker is held: answered as well.
	wantStatus(t, changePassword(s, access, newPassword, "Third-pass-for-ann-6y"), http.StatusOK)
	if accepted, dropped := h.state(); accepted != 1 || dropped != 0 {
		t.Fatalf("%d connections, %d given up: want the one delivery attempt, still open", accepted, dropped)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.App.Mail.Flush(ctx); err == nil {
		t.Fatalf("the queue is empty: the notices were dropped, not held")
	}
}
