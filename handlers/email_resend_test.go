package handlers_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"authsvc/internal/testserver"
	"authsvc/models"
	"authsvc/passwords"
)

const bodyResend = `{"detail":"If the address belongs to an account that is not verified yet, a new link is on its way."}`

func resend(s *testserver.Server, email string) *testserver.Response {
	return s.Post(pathEmailResend, map[string]string{"email": email})
}

// resendAccounts registers the accounts a resend can name: una
// (unverified), vera (verified), ina (unverified, deactivated) and pia
// (verified, with a change to pia-new@ pending). It returns the addresses
// to ask for, each with whether it should get a link.
func resendAccounts(t *testing.T, s *testserver.Server) map[string]bool {
	t.Helper()
	registerWithEmail(t, s, "una", "una@example.test", annPassword)
	setVerified(t, s, registerWithEmail(t, s, "vera", "vera@example.test", annPassword))
	registerWithEmail(t, s, "ina", "ina@example.test", annPassword)
	setFlags(t, s, "ina", map[string]any{"is_active": false})
	setVerified(t, s, registerWithEmail(t, s, "pia", "pia@example.test", annPassword))
	wantStatus(t, changeEmail(s, s.Login("pia", annPassword).Access, "pia-new@example.test", annPassword), http.StatusOK)
	return map[string]bool{
		"nobody@example.test": false, "una@example.test": true, "UNA@Example.TEST": true,
		"vera@example.test": false, "ina@example.test": false, "pia-new@example.test": false,
	}
}

// A resend answers the same (202, the same body) whether the address is
// unknown, verified, of an inactive account or only pending somewhere;
// only an active account's unverified address gets a new link.
func TestEmailResendSameAnswer(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, nil)
	addrs := resendAccounts(t, e.srv)
	before := e.mails(t)
	for addr := range addrs {
		wantJSON(t, resend(e.srv, addr), http.StatusAccepted, bodyResend)
	}
	fresh := e.mails(t)[len(before):] // SMTP keeps the order of arrival
	if n := len(tokensTo(t, fresh, "una@example.test", verifyPage)); n != 2 || len(fresh) != 2 {
		t.Fatalf("%d links to una in %d new mails, want 2 (one per request naming una)", n, len(fresh))
	}
	wantStatus(t, verifyEmail(e.srv, tokensTo(t, fresh, "una@example.test", verifyPage)[1]), http.StatusOK)
	wantAddress(t, e.srv, "una", "una@example.test", "")
	if !user(t, e.srv, "una").EmailVerified {
		t.Fatalf("the resent link did not verify una")
	}
	for _, bad := range []map[string]string{{}, {"email": ""}, {"email": "not-an-address"}} {
		wantField(t, e.srv.Post(pathEmailResend, bad), "email", "")
	}
}

// A resend does the same work on the request path whatever the address:
// no password hashing, and no write (the link is stored and mailed on the
// mail worker). The worker is held by a mail server that never answers,
// so whatever it would write cannot land while a request is measured.
func TestEmailResendWorkIsTheSame(t *testing.T) {
	t.Parallel()
	h := startHangingSMTP(t)
	s := hungServer(t, h, nil)
	addrs := resendAccounts(t, s)
	h.awaitConnection(t) // held on una's registration link
	tokens := func() int64 {
		var n int64
		if err := s.App.Store.W.WithContext(context.Background()).Model(&models.EmailToken{}).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	held := tokens()
	var first *testserver.Response
	for addr := range addrs {
		work := s.App.Hasher.Work()
		r := resend(s, addr)
		if got := s.App.Hasher.Work().Sub(work); got != (passwords.Work{}) {
			t.Errorf("%s: the resend hashed %+v", addr, got)
		}
		if n := tokens(); n != held {
			t.Errorf("%s: %d email tokens after the request, %d before: written on the request path", addr, n, held)
		}
		if first == nil {
			first = r
		} else if r.Status != first.Status || !bytes.Equal(r.Body, first.Body) {
			t.Errorf("%s: %d %s, first answer %d %s", addr, r.Status, r.Body, first.Status, first.Body)
		}
	}
}

// Resends are throttled like reset requests, per address (case folded)
// and per client address, counted apart from resets.
func TestEmailResendThrottled(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: throttled(map[string]string{"AUTH_TRUSTED_PROXIES": "127.0.0.1,::1"})})
	from := func(ip, path, email string) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodPost, Path: path, JSON: map[string]string{"email": email},
			Header: map[string]string{"X-Forwarded-For": ip}})
	}
	for _, email := range []string{"Someone@Example.com", "someone@example.com", "SOMEONE@example.com"} {
		wantStatus(t, from("192.0.2.1", pathEmailResend, email), http.StatusAccepted)
	}
	wantError(t, from("192.0.2.2", pathEmailResend, "someone@EXAMPLE.com"), http.StatusTooManyRequests, "throttled")
	wantStatus(t, from("192.0.2.2", resetPath, "someone@example.com"), http.StatusAccepted)
	// Per client: ten an hour, whatever the addresses.
	for i := 0; i < 10; i++ {
		wantStatus(t, from("198.51.100.7", pathEmailResend, strings.Repeat("x", i+1)+"@example.com"), http.StatusAccepted)
	}
	wantError(t, from("198.51.100.7", pathEmailResend, "fresh@example.com"), http.StatusTooManyRequests, "throttled")
	wantStatus(t, from("198.51.100.8", pathEmailResend, "fresh@example.com"), http.StatusAccepted)
}
