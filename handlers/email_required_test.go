package handlers_test

import (
	"bytes"
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

var requiredEnv = map[string]string{"AUTH_EMAIL_VERIFICATION": "required"}

// bodyEmailNotVerified is the contract's answer to a right password for an
// account whose address is not verified yet.
const bodyEmailNotVerified = `{"detail":"E-mail address is not verified.","code":"email_not_verified"}`

// loginPaths are the three login endpoints.
var loginPaths = []string{pathToken, tokenAuthPath, pathAccountLogin}

func loginAt(s *testserver.Server, path, username, password string) *testserver.Response {
	return s.Post(path, map[string]string{"username": username, "password": password})
}

// wantWrongPasswordAsUnknown checks a wrong password for username answers
// on path exactly as for a user that does not exist.
func wantWrongPasswordAsUnknown(t *testing.T, s *testserver.Server, path, username string) {
	t.Helper()
	wrong := loginAt(s, path, username, "not-the-Password-1")
	unknown := loginAt(s, path, "nobody-by-this-name", "not-the-Password-1")
	if wrong.Status == http.StatusOK || wrong.Status != unknown.Status || !bytes.Equal(wrong.Body, unknown.Body) {
		t.Fatalf("%s: wrong password %d %s, unknown user %d %s", path, wrong.Status, wrong.Body, unknown.Status, unknown.Body)
	}
}

// With verification required, both register endpoints need an address.
func TestEmailRequiredRegistration(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, requiredEnv)
	for _, path := range []string{pathRegister, "/api/accounts/register/"} {
		for _, body := range []map[string]string{
			{"username": "noaddr", "password": annPassword},
			{"username": "noaddr", "password": annPassword, "email": ""},
		} {
			r := e.srv.Post(path, body)
			wantJSON(t, r, http.StatusBadRequest, `{"email":["This field is required."]}`)
		}
	}
	if len(e.mails(t)) != 0 {
		t.Fatalf("refused registrations sent mail")
	}
	registerWithEmail(t, e.srv, "ann", "ann@example.test", annPassword)
	e.linkTo(t, nil, "ann@example.test")
}

// Required verification refuses every login of an unverified account with
// 403 email_not_verified, but only after the right password: a wrong one
// answers exactly as for an unknown user, so the 403 tells nothing to
// whoever lacks the password. No session opens, and the link lets the
// user in on every endpoint.
func TestEmailRequiredBlocksLogin(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, requiredEnv)
	registerWithEmail(t, e.srv, "ann", "ann@example.test", annPassword)
	for _, path := range loginPaths {
		wantWrongPasswordAsUnknown(t, e.srv, path, "ann")
		wantJSON(t, loginAt(e.srv, path, "ann", annPassword), http.StatusForbidden, bodyEmailNotVerified)
	}
	if u := user(t, e.srv, "ann"); u.LastLogin != nil {
		t.Fatalf("a refused login set last_login %v", u.LastLogin)
	}
	wantStatus(t, verifyEmail(e.srv, e.linkTo(t, nil, "ann@example.test")), http.StatusOK)
	for _, path := range loginPaths {
		wantStatus(t, loginAt(e.srv, path, "ann", annPassword), http.StatusOK)
	}
	// Without verification required, the same account logs in unverified.
	o := newMailEnv(t, nil)
	registerWithEmail(t, o.srv, "ann", "ann@example.test", annPassword)
	for _, path := range loginPaths {
		wantStatus(t, loginAt(o.srv, path, "ann", annPassword), http.StatusOK)
	}
}

// The address is checked right after the password, before any second
// factor: an unverified account with a factor gets the 403
// email_not_verified and no mfa_token; a second step begun before is
// refused the same way.
func TestEmailRequiredBeforeSecondFactor(t *testing.T) {
	t.Parallel()
	s := mfaServer(t, requiredEnv)
	// Enrolment needs a session: the account starts verified (as after its
	// link), then loses that (its address is reset by the operator).
	r := s.Post(pathRegister, map[string]string{"username": "guarded", "email": "guarded@example.test", "password": annPassword})
	wantStatus(t, r, http.StatusCreated)
	setVerified(t, s, int64(r.JSON(t)["id"].(float64)))
	access := s.Login("guarded", annPassword).Access
	secret := enrol(t, s, access, annPassword)
	confirmTOTP(t, s, access, totpAt(t, secret, s.Clock.Now()))
	pending := mfaLogin(t, s, pathToken, "guarded", annPassword)
	setFlags(t, s, "guarded", map[string]any{"email_verified": false})
	// A second step begun while the address was verified is checked again.
	s.Clock.Advance(totpStep)
	wantJSON(t, finish(s, pending, totpAt(t, secret, s.Clock.Now())), http.StatusForbidden, bodyEmailNotVerified)
	for _, path := range loginPaths {
		wantJSON(t, loginAt(s, path, "guarded", annPassword), http.StatusForbidden, bodyEmailNotVerified)
		wantWrongPasswordAsUnknown(t, s, path, "guarded")
	}
}

// Required verification sends reset links only to verified addresses; the
// answer is the same either way.
func TestEmailRequiredResetOnlyToVerified(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, requiredEnv)
	registerWithEmail(t, e.srv, "ann", "ann@example.test", annPassword)
	link := e.linkTo(t, nil, "ann@example.test")
	unknown := e.srv.Post(resetPath, map[string]string{"email": "nobody@example.test"})
	unverified := e.srv.Post(resetPath, map[string]string{"email": "ann@example.test"})
	wantStatus(t, unverified, http.StatusAccepted)
	if !bytes.Equal(unknown.Body, unverified.Body) || unknown.Status != unverified.Status {
		t.Fatalf("answers differ: %d %s vs %d %s", unknown.Status, unknown.Body, unverified.Status, unverified.Body)
	}
	if n := len(e.resetMails(t)); n != 0 {
		t.Fatalf("%d reset links to an unverified address", n)
	}
	wantStatus(t, verifyEmail(e.srv, link), http.StatusOK)
	token := e.requestToken(t, "ann@example.test")
	wantStatus(t, confirm(e.srv, token, newPassword), http.StatusOK)
	e.srv.Login("ann", newPassword)
}
