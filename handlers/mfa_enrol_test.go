package handlers_test

import (
	"encoding/base32"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

// wantMFAStatus checks GET mfa/.
func wantMFAStatus(t *testing.T, s *testserver.Server, access string, totp bool, left int) {
	t.Helper()
	r := s.Do(testserver.Request{Method: http.MethodGet, Path: pathMFA, Bearer: access})
	wantStatus(t, r, http.StatusOK)
	m := r.JSON(t)
	if m["totp"] != totp || m["recovery_codes_left"] != float64(left) || m["passkeys"] != float64(0) {
		t.Fatalf("mfa status %s, want totp %v, %d recovery codes left, 0 passkeys", r.Body, totp, left)
	}
}

// Enrolment: the secret is usable by any authenticator (base32, an
// otpauth URI with the contract's parameters, a QR code), nothing is
// enforced until it is confirmed, and the states refuse what does not fit
// them with the contract's codes.
func TestMFAEnrolment(t *testing.T) {
	t.Parallel()
	s := mfaServer(t, nil)
	p, pw := s.NewUser("enroller")
	wantMFAStatus(t, s, p.Access, false, 0)
	post := func(path string, body map[string]any) *testserver.Response {
		return stepUp(s, http.MethodPost, path, p.Access, body)
	}
	wantError(t, post(pathTOTPConfirm, map[string]any{"code": "123456"}), http.StatusConflict, "mfa_not_pending")
	wantError(t, stepUp(s, http.MethodDelete, pathTOTP, p.Access, map[string]any{"password": pw, "code": "123456"}),
		http.StatusConflict, "mfa_not_enabled")
	wantField(t, post(pathTOTP, map[string]any{"password": "not-the-Password-1"}), "password", "Your password was entered incorrectly.")

	r := post(pathTOTP, map[string]any{"password": pw})
	wantStatus(t, r, http.StatusOK)
	first := r.Str(t, "secret")
	wantSecretShape(t, r, "enroller")
	wantMFAStatus(t, s, p.Access, false, 0)
	// Nothing is enforced before confirmation.
	s.Login("enroller", pw)

	second := enrol(t, s, p.Access, pw)
	if second == first {
		t.Fatal("a second enrolment kept the first secret")
	}
	u := &mfaUser{secret: second}
	// A step where the two secrets' codes differ (they match by chance
	// once in a million).
	for totpAt(t, first, s.Clock.Now()) == u.now(t, s) {
		s.Clock.Advance(totpStep)
	}
	stale := totpAt(t, first, s.Clock.Now())
	// docs/mfa.md: a wrong code on confirm is 403 mfa_invalid.
	wantError(t, post(pathTOTPConfirm, map[string]any{"code": stale}), http.StatusForbidden, "mfa_invalid")
	wantMFAStatus(t, s, p.Access, false, 0)
	wantField(t, post(pathTOTPConfirm, map[string]any{}), "code", "This field is required.")
	// DRF's wording for a blank field ("may not be blank") is accepted
	// too: MFA_SPEC says "required" for both, the service follows DRF.
	wantField(t, post(pathTOTPConfirm, map[string]any{"code": ""}), "code", "This field")

	codes := confirmTOTP(t, s, p.Access, u.now(t, s))
	seen := map[string]bool{}
	for _, c := range codes {
		if !recoveryFormat.MatchString(c) || seen[c] {
			t.Errorf("recovery code %q: not xxxxx-xxxxx in a-z2-7, or repeated", c)
		}
		seen[c] = true
	}
	wantMFAStatus(t, s, p.Access, true, 10)
	wantError(t, post(pathTOTP, map[string]any{"password": pw}), http.StatusConflict, "mfa_enabled")
	wantError(t, post(pathTOTPConfirm, map[string]any{"code": u.fresh(t, s)}), http.StatusConflict, "mfa_not_pending")

	pairOf(t, finish(s, mfaLogin(t, s, pathToken, "enroller", pw), codes[0]))
	wantMFAStatus(t, s, p.Access, true, 9)
}

// wantSecretShape checks the enrolment answer against the contract.
func wantSecretShape(t *testing.T, r *testserver.Response, username string) {
	t.Helper()
	m := r.JSON(t)
	secret, _ := m["secret"].(string)
	if strings.Contains(secret, "=") {
		t.Errorf("secret %q is padded", secret)
	}
	if b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret); err != nil || len(b) < 10 {
		t.Errorf("secret %q: not base32 of at least 80 bits: %v", secret, err)
	}
	if qr, _ := m["qr_png"].(string); !strings.HasPrefix(qr, "data:image/png;base64,") {
		t.Errorf("qr_png %.40q", qr)
	}
	raw, _ := m["otpauth_uri"].(string)
	uri, err := url.Parse(raw)
	if err != nil || uri.Scheme != "otpauth" || uri.Host != "totp" || uri.Path != "/authsvc:"+username {
		t.Fatalf("otpauth_uri %q", raw)
	}
	want := map[string]string{"secret": secret, "issuer": "authsvc", "algorithm": "SHA1", "digits": "6", "period": "30"}
	for k, v := range want {
		if got := uri.Query().Get(k); got != v {
			t.Errorf("otpauth_uri %s=%q, want %q", k, got, v)
		}
	}
}

// Confirming a factor ends every other session and every API key of the
// user (whoever held the password may have opened them), but not the
// session that confirmed.
func TestMFAConfirmEndsOtherSessions(t *testing.T) {
	t.Parallel()
	s := mfaServer(t, nil)
	current, pw := s.NewUser("cautious")
	others := []testserver.Pair{s.Login("cautious", pw), s.Login("cautious", pw)}
	keys := []string{obtainKey(t, s, "cautious", pw), obtainKey(t, s, "cautious", pw)}
	bystander, bpw := s.NewUser("unrelated")
	bystanderKey := obtainKey(t, s, "unrelated", bpw)

	u := &mfaUser{secret: enrol(t, s, current.Access, pw)}
	confirmTOTP(t, s, current.Access, u.now(t, s))

	for i, p := range others {
		wantTokenInvalid(t, profile(s, p.Access))
		if r := refresh(s, p.Refresh); r.Status != http.StatusUnauthorized {
			t.Errorf("other session %d refreshed: %d %s", i, r.Status, r.Body)
		}
	}
	for _, k := range keys {
		wantJSON(t, getWithKey(s, profilePath, k), http.StatusUnauthorized, bodyInvalidKey)
	}
	wantStatus(t, profile(s, current.Access), http.StatusOK)
	list := sessionsOf(t, s, current.Access)
	if len(list) != 1 || list[0]["current"] != true {
		t.Fatalf("sessions after confirm: %v", list)
	}
	next := pairOf(t, refresh(s, current.Refresh))
	wantStatus(t, profile(s, next.Access), http.StatusOK)
	wantStatus(t, profile(s, bystander.Access), http.StatusOK)
	wantStatus(t, getWithKey(s, profilePath, bystanderKey), http.StatusOK)
}
