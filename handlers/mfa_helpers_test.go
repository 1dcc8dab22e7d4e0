package handlers_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"authsvc/internal/testserver"
)

// Paths of the second-factor endpoints (issue 17).
const (
	pathMFA          = "/api/auth/mfa/"
	pathTOTP         = "/api/auth/mfa/totp/"
	pathTOTPConfirm  = "/api/auth/mfa/totp/confirm/"
	pathRecovery     = "/api/auth/mfa/recovery-codes/"
	pathTokenMFA     = "/api/auth/token/mfa/"
	pathAccountLogin = "/api/accounts/login/"
)

// totpStep is the RFC 6238 time step the contract fixes.
const totpStep = 30 * time.Second

// recoveryFormat is the contract's recovery code: two groups of five
// lowercase base32 characters.
var recoveryFormat = regexp.MustCompile(`^[a-z2-7]{5}-[a-z2-7]{5}$`)

// totpAt is the code an authenticator shows at t for secret.
func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{
		Period: uint(totpStep / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		t.Fatalf("totp code: %v", err)
	}
	return code
}

// mfaUser is a user with a confirmed TOTP factor.
type mfaUser struct {
	name, pw string
	id       int64
	// pair is the session that enrolled (its amr is ["pwd"]).
	pair     testserver.Pair
	secret   string
	recovery []string
}

// now is the code for the server's current time step.
func (u *mfaUser) now(t *testing.T, s *testserver.Server) string {
	t.Helper()
	return totpAt(t, u.secret, s.Clock.Now())
}

// fresh moves the clock to the next time step and returns its code: the
// server never accepts a step twice for one user, so every code a test
// means to succeed is from a step not used before.
func (u *mfaUser) fresh(t *testing.T, s *testserver.Server) string {
	t.Helper()
	s.Clock.Advance(totpStep)
	return u.now(t, s)
}

// wrong is a six-digit code that no step within the drift window (or
// the one before it) produces, so a test expecting a refusal cannot be
// failed by a chance collision.
func (u *mfaUser) wrong(t *testing.T, s *testserver.Server) string {
	t.Helper()
	near := u.window(t, s, -2, 1)
	for n := 0; ; n++ {
		c := fmt.Sprintf("%06d", (n*7919+123457)%1000000)
		if !slices.Contains(near, c) {
			return c
		}
	}
}

// window lists the codes of the steps from..to relative to now.
func (u *mfaUser) window(t *testing.T, s *testserver.Server, from, to int) []string {
	t.Helper()
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, totpAt(t, u.secret, s.Clock.Now().Add(time.Duration(i)*totpStep)))
	}
	return out
}

// enrol starts enrolment with the user's password and returns the secret.
func enrol(t *testing.T, s *testserver.Server, access, pw string) string {
	t.Helper()
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: pathTOTP, Bearer: access, JSON: map[string]string{"password": pw}})
	wantStatus(t, r, http.StatusOK)
	secret := r.Str(t, "secret")
	if secret == "" {
		t.Fatalf("no secret in %s", r.Body)
	}
	return secret
}

// confirmTOTP finishes enrolment with code and returns the recovery codes.
func confirmTOTP(t *testing.T, s *testserver.Server, access, code string) []string {
	t.Helper()
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: pathTOTPConfirm, Bearer: access, JSON: map[string]string{"code": code}})
	wantStatus(t, r, http.StatusOK)
	return recoveryCodesOf(t, r)
}

// newMFAUser registers name, logs in and turns TOTP on.
func newMFAUser(t *testing.T, s *testserver.Server, name string) *mfaUser {
	t.Helper()
	pair, pw := s.NewUser(name)
	u := &mfaUser{name: name, pw: pw, pair: pair, id: user(t, s, name).ID}
	u.secret = enrol(t, s, pair.Access, pw)
	u.recovery = confirmTOTP(t, s, pair.Access, u.now(t, s))
	return u
}

// mfaLogin sends the password to a login path and expects the 403 that
// asks for the second factor; it returns the mfa_token.
func mfaLogin(t *testing.T, s *testserver.Server, path, name, pw string) string {
	t.Helper()
	r := s.Post(path, map[string]string{"username": name, "password": pw})
	m := wantError(t, r, http.StatusForbidden, "mfa_required")
	if m["detail"] != "A second factor is required." {
		t.Errorf("detail %v", m["detail"])
	}
	methods, _ := m["methods"].([]any)
	if !slices.Contains(methods, any("totp")) || !slices.Contains(methods, any("recovery")) {
		t.Errorf("methods %v lack totp and recovery", m["methods"])
	}
	tok, _ := m["mfa_token"].(string)
	if tok == "" {
		t.Fatalf("no mfa_token in %s", r.Body)
	}
	return tok
}

// finish sends the second step.
func finish(s *testserver.Server, mfaToken, code string) *testserver.Response {
	return s.Post(pathTokenMFA, map[string]string{"mfa_token": mfaToken, "code": code})
}

// claimsOf decodes a token's claims (unverified: the server made it).
func claimsOf(t *testing.T, raw string) map[string]any {
	t.Helper()
	_, c := parts(t, raw)
	return c
}

// wantAMR checks amr (as a set: RFC 8176 gives its order no meaning) and
// auth_time of a token.
func wantAMR(t *testing.T, raw string, amr []string, authTime time.Time) {
	t.Helper()
	c := claimsOf(t, raw)
	list, _ := c["amr"].([]any)
	var got []string
	for _, v := range list {
		s, _ := v.(string)
		got = append(got, s)
	}
	if !sameSet(got, amr) {
		t.Errorf("amr %v, want %v", c["amr"], amr)
	}
	at, ok := c["auth_time"].(float64)
	if !ok || int64(at) != authTime.Unix() {
		t.Errorf("auth_time %v, want %s", c["auth_time"], strconv.FormatInt(authTime.Unix(), 10))
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

var (
	amrPwd = []string{"pwd"}
	amrMFA = []string{"pwd", "otp", "mfa"}
)

// stepUp sends an authenticated request with a JSON body.
func stepUp(s *testserver.Server, method, path, access string, body map[string]any) *testserver.Response {
	return s.Do(testserver.Request{Method: method, Path: path, Bearer: access, JSON: body})
}

// mfaServer is a server on its own clock, started at a time step's
// beginning plus a few seconds, so a test moving whole steps never lands
// on a boundary.
func mfaServer(t *testing.T, env map[string]string) *testserver.Server {
	t.Helper()
	start := time.Now().UTC().Truncate(totpStep).Add(5 * time.Second)
	return testserver.New(t, testserver.Options{Env: env, Clock: testserver.NewClockAt(start)})
}
