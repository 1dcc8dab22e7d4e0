package handlers_test

import (
	"context"
	"mime"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"authsvc/internal/smtptest"
	"authsvc/internal/testserver"
	authmail "authsvc/mail"
)

const (
	pathEmailVerify = "/api/auth/email/verify/"
	pathEmailResend = "/api/auth/email/verify/resend/"
	// verifyPage is the AUTH_VERIFY_URL of the tests that set one;
	// defaultVerifyPage and defaultResetPage are the defaults, which the
	// servers without mail settings link to.
	verifyPage        = "https://app.example.test/verify-email"
	defaultVerifyPage = "http://localhost:8000/verify-email"
	defaultResetPage  = "http://localhost:8000/reset-password"
)

// sentMail is one message the service delivered, decoded. Mails are told
// apart by recipient and by the link they hold, not by their wording, so
// these tests hold whatever the templates say.
type sentMail struct {
	To, Subject string
	Text, HTML  string
	// Envelope is the SMTP transaction (nil for an outbox file).
	Envelope *smtptest.Received
}

func decodeMail(t *testing.T, raw []byte) sentMail {
	t.Helper()
	p := smtptest.Parse(t, raw)
	to, err := mail.ParseAddress(p.Header.Get("To"))
	if err != nil {
		t.Fatalf("mail To %q: %v", p.Header.Get("To"), err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(p.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("mail Subject %q: %v", p.Header.Get("Subject"), err)
	}
	return sentMail{To: to.Address, Subject: subject, Text: p.Text, HTML: p.HTML}
}

// outboxMails waits for the mail queue, then reads every message in srv's
// outbox (the service has no SMTP server). File names do not order
// messages sent within one second; callers compare sets instead.
func outboxMails(t *testing.T, srv *testserver.Server) []sentMail {
	t.Helper()
	flush(t, srv)
	dir := filepath.Join(srv.Dir, "data", "outbox")
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []sentMail
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, decodeMail(t, raw))
	}
	return out
}

// smtpMails waits for the mail queue, then returns what the test SMTP
// server accepted, in order of arrival.
func smtpMails(t *testing.T, srv *testserver.Server, s *smtptest.Server) []sentMail {
	t.Helper()
	flush(t, srv)
	var out []sentMail
	for _, r := range s.Messages() {
		m := decodeMail(t, r.Raw)
		m.Envelope = &r
		out = append(out, m)
	}
	return out
}

// linkToken returns the token of the link to page in m ("" when m has
// none). A link's token is at least 32 random bytes, and the HTML part
// links with the same one.
func linkToken(t *testing.T, m sentMail, page string) string {
	t.Helper()
	i := strings.Index(m.Text, page+"?token=")
	if i < 0 {
		return ""
	}
	match := tokenRE.FindStringSubmatch(m.Text[i:])
	if match == nil || len(match[1]) < 43 { // 32 bytes, base64url
		t.Fatalf("link to %s with a short or no token: %q", page, m.Text)
	}
	if m.HTML != "" && !strings.Contains(m.HTML, "token="+match[1]) {
		t.Fatalf("the html part lacks the text part's token: %q", m.HTML)
	}
	return match[1]
}

// tokensTo are the tokens of links to page in the mails to addr.
func tokensTo(t *testing.T, msgs []sentMail, addr, page string) []string {
	t.Helper()
	var out []string
	for _, m := range msgs {
		if tok := linkToken(t, m, page); tok != "" && strings.EqualFold(m.To, addr) {
			out = append(out, tok)
		}
	}
	return out
}

// newLink finds the one mail of after with a link to page that no mail of
// before has: the link one request mailed, whatever else was sent
// meanwhile. It returns the link's token and the mail.
func newLink(t *testing.T, before, after []sentMail, page string) (string, sentMail) {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range before {
		seen[linkToken(t, m, page)] = true
	}
	var tok string
	var found sentMail
	n := 0
	for _, m := range after {
		if k := linkToken(t, m, page); k != "" && !seen[k] {
			tok, found = k, m
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d new mails with a link to %s, want 1", n, page)
	}
	return tok, found
}

// noticesTo are the mails to addr without a link of any kind: the
// security notices (verification and reset mails carry their link).
func noticesTo(msgs []sentMail, addr string) []sentMail {
	var out []sentMail
	for _, m := range msgs {
		if strings.EqualFold(m.To, addr) && !strings.Contains(m.Text, "token=") {
			out = append(out, m)
		}
	}
	return out
}

// noticeSubject is the subject of a notice of kind, from the service's own
// renderer: the tests match a notice to its kind without copying its text.
func noticeSubject(t *testing.T, kind string) string {
	t.Helper()
	m, err := authmail.NoticeMessage("someone@example.test", authmail.NoticeData{Username: "someone", Kind: kind}, time.Now())
	if err != nil {
		t.Fatalf("notice %s: %v", kind, err)
	}
	return m.Subject
}

// wantAddress checks the stored address of username and its pending one
// ("" for none).
func wantAddress(t *testing.T, s *testserver.Server, username, email, pending string) {
	t.Helper()
	u := user(t, s, username)
	got := ""
	if u.PendingEmail != nil {
		got = *u.PendingEmail
		if got == "" {
			t.Errorf("%s: pending_email is an empty string, want null", username)
		}
	}
	if u.Email != email || got != pending {
		t.Fatalf("%s: email %q pending %q, want %q pending %q", username, u.Email, got, email, pending)
	}
}

// verifyEmail posts a link's token.
func verifyEmail(s *testserver.Server, token string) *testserver.Response {
	return s.Post(pathEmailVerify, map[string]string{"token": token})
}

// setVerified marks a user's address verified in the database (setup for
// tests about what follows verification).
func setVerified(t *testing.T, s *testserver.Server, id int64) {
	t.Helper()
	if err := s.App.Store.UpdateUser(context.Background(), id, map[string]any{"email_verified": true}); err != nil {
		t.Fatal(err)
	}
}

// changeEmail asks for a change of the own address with the password.
func changeEmail(s *testserver.Server, access, email, password string) *testserver.Response {
	return s.Do(testserver.Request{Method: http.MethodPatch, Path: pathProfile, Bearer: access,
		JSON: map[string]any{"email": email, "current_password": password}})
}

// linkTo is the token of the one verification link mailed to addr since
// before.
func (e *resetEnv) linkTo(t *testing.T, before []sentMail, addr string) string {
	t.Helper()
	token, m := newLink(t, before, e.mails(t), verifyPage)
	if m.To != addr {
		t.Fatalf("verification link mailed to %s, want %s", m.To, addr)
	}
	return token
}

// registerVerified registers username with addr and uses the link mailed
// to it; it returns the user's id.
func (e *resetEnv) registerVerified(t *testing.T, username, addr, password string) int64 {
	t.Helper()
	before := e.mails(t)
	id := registerWithEmail(t, e.srv, username, addr, password)
	wantStatus(t, verifyEmail(e.srv, e.linkTo(t, before, addr)), http.StatusOK)
	return id
}
