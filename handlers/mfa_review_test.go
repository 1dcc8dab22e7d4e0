package handlers_test

// Regression tests for the fixes after the security review of the second
// factor (issue 17): staff powers under AUTH_ADMIN_REQUIRE_MFA, the staff
// factor removal's limits, the device cookie on the second step, the auth
// claims of a refresh's grace twin and secrets in the log.

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// staffCred is one credential of a staff member.
type staffCred struct {
	name          string
	id            int64
	pw            string
	bearer, key   string
	withFactor    bool     // the credential's login used a second factor
	stepUpCodes   []string // codes for its step-ups (nil: the user has no factor)
	stepUpCodeIdx int
}

// request sends a call with the credential.
func (c *staffCred) request(s *testserver.Server, method, path string, body any) *testserver.Response {
	return s.Do(testserver.Request{Method: method, Path: path, Bearer: c.bearer, Token: c.key, JSON: body})
}

// changeEmail is a profiles/{id}/ PATCH of the address, with the staff
// member's own password and, when they have a factor, a step-up code.
func (c *staffCred) changeEmail(s *testserver.Server, id int64, email string) *testserver.Response {
	b := map[string]any{"email": email, "current_password": c.pw}
	if c.stepUpCodes != nil {
		b["code"] = c.stepUpCodes[c.stepUpCodeIdx]
		c.stepUpCodeIdx++
	}
	return c.request(s, http.MethodPatch, profileURL(id, ""), b)
}

// staffCreds are a password-only staff member's token and API key and a
// staff member's token and key from logins with a second factor. Step-ups
// of the latter use recovery codes, each credential its own: parallel
// subtests cannot share TOTP steps on one clock.
func staffCreds(t *testing.T, s *testserver.Server) []*staffCred {
	t.Helper()
	plain, pw := newStaff(t, s, "plainboss")
	plainID := user(t, s, "plainboss").ID
	plainKey := obtainKey(t, s, "plainboss", pw)
	m := newMFAUser(t, s, "strongboss")
	setFlags(t, s, m.name, map[string]any{"is_staff": true})
	strong := pairOf(t, finish(s, mfaLogin(t, s, pathToken, m.name, m.pw), m.recovery[8]))
	r := finish(s, mfaLogin(t, s, tokenAuthPath, m.name, m.pw), m.recovery[9])
	wantStatus(t, r, http.StatusOK)
	return []*staffCred{
		{name: "password token", id: plainID, pw: pw, bearer: plain.Access},
		{name: "password key", id: plainID, pw: pw, key: plainKey},
		{name: "mfa token", id: m.id, pw: m.pw, bearer: strong.Access, withFactor: true, stepUpCodes: m.recovery[0:2]},
		{name: "mfa key", id: m.id, pw: m.pw, key: r.Str(t, "token"), withFactor: true, stepUpCodes: m.recovery[2:4]},
	}
}

// AUTH_ADMIN_REQUIRE_MFA withholds every staff power from a credential
// without a second factor, not only /api/admin/: through profiles/{id}/
// staff could move another user's address (then reset their password) and
// read every address. Their own profile is theirs, not a staff power.
func TestAdminRequireMFAReachesProfiles(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprintf("require_mfa=%v", on), func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"AUTH_ADMIN_REQUIRE_MFA": "off"}
			if on {
				env["AUTH_ADMIN_REQUIRE_MFA"] = "on"
			}
			s := mfaServer(t, env)
			for i, c := range staffCreds(t, s) {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					checkStaffOnProfiles(t, s, c, fmt.Sprintf("victim%d", i), !on || c.withFactor)
				})
			}
		})
	}
}

// checkStaffOnProfiles has c change and read victim's address (allowed
// or not) and its own.
func checkStaffOnProfiles(t *testing.T, s *testserver.Server, c *staffCred, victim string, allowed bool) {
	t.Helper()
	id := registerWithEmail(t, s, victim, victim+"@example.test", "Victim-own-passphrase-4")
	want, moved := victim+"@example.test", victim+"@moved.test"
	r := c.changeEmail(s, id, moved)
	// With verification on (the default), an accepted change waits for
	// the link mailed to the new address; a refused one mails nothing.
	links := tokensTo(t, outboxMails(t, s), moved, defaultVerifyPage)
	if allowed {
		wantStatus(t, r, http.StatusOK)
		wantAddress(t, s, victim, want, moved)
		if len(links) != 1 {
			t.Fatalf("%d links mailed to %s, want 1", len(links), moved)
		}
		wantStatus(t, verifyEmail(s, links[0]), http.StatusOK)
		want = moved
	} else {
		wantJSON(t, r, http.StatusForbidden, bodyAdminNeedsMFA)
		if len(links) != 0 {
			t.Fatalf("a refused change mailed %d links", len(links))
		}
	}
	wantAddress(t, s, victim, want, "")
	shown := func(m map[string]any, who string, visible bool) {
		t.Helper()
		email, ok := m["email"]
		if ok != visible {
			t.Errorf("%s: email shown %v (%v), want %v", who, ok, email, visible)
		}
	}
	r = c.request(s, http.MethodGet, profileURL(id, ""), nil)
	wantStatus(t, r, http.StatusOK)
	shown(r.JSON(t), "profile of another", allowed)
	if m := r.JSON(t); allowed && m["email"] != want {
		t.Errorf("email %v, want %q", m["email"], want)
	}
	r = c.request(s, http.MethodGet, profilesPath+"?page_size=100", nil)
	wantStatus(t, r, http.StatusOK)
	seen := 0
	for _, m := range resultsOf(t, r) {
		mid, _ := m["id"].(float64)
		self := int64(mid) == c.id
		if self || int64(mid) == id {
			seen++
		}
		shown(m, fmt.Sprintf("list entry %v", m["username"]), self || allowed)
	}
	if seen != 2 {
		t.Errorf("the list holds %d of the caller and the victim, want both", seen)
	}
	r = c.request(s, http.MethodGet, profileURL(c.id, ""), nil)
	wantStatus(t, r, http.StatusOK)
	shown(r.JSON(t), "own profile", true)
	wantStatus(t, c.changeEmail(s, c.id, victim+"-boss@example.test"), http.StatusOK)
}

// Staff reset a user's factor: not their own (that takes the password and a
// code, DELETE mfa/totp/), and not a superuser's unless superusers
// themselves, like every other staff action on a superuser.
func TestAdminFactorRemovalLimits(t *testing.T) {
	t.Parallel()
	s := mfaServer(t, nil)
	root := newMFAUser(t, s, "root")
	setFlags(t, s, root.name, map[string]any{"is_staff": true, "is_superuser": true})
	boss := newMFAUser(t, s, "boss")
	setFlags(t, s, boss.name, map[string]any{"is_staff": true})
	for _, tc := range []struct {
		name   string
		actor  *mfaUser
		target int64
		status int
		body   string
	}{
		{"staff on a superuser", boss, root.id, http.StatusForbidden, bodyDenied},
		{"staff on themselves", boss, boss.id, http.StatusForbidden, bodyDenied},
		{"superuser on themselves", root, root.id, http.StatusForbidden, bodyDenied},
		{"unknown user", boss, root.id + 1000, http.StatusNotFound, bodyNotFound},
	} {
		r := s.Do(testserver.Request{Method: http.MethodDelete, Path: adminMFAPath(tc.target), Bearer: tc.actor.pair.Access})
		if r.Status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, r.Status, r.Body, tc.status)
			continue
		}
		wantJSON(t, r, tc.status, tc.body)
	}
	for _, u := range []*mfaUser{root, boss} {
		// The GET needs the session alive; the refresh too.
		wantMFAStatus(t, s, u.pair.Access, true, 10)
		u.pair = pairOf(t, refresh(s, u.pair.Refresh))
	}
	// A superuser may (the refusals above were about who, not what).
	wantStatus(t, s.Do(testserver.Request{Method: http.MethodDelete, Path: adminMFAPath(boss.id), Bearer: root.pair.Access}),
		http.StatusNoContent)
	wantTokenInvalid(t, profile(s, boss.pair.Access))
}

// A stranger who knows only the username spends the account's budget with
// wrong passwords; the owner's browser, holding the device cookie of an
// earlier login, passes both steps anyway, because the second step spends
// the cookie's budget like the first (it used to spend the account's).
func TestMFADeviceCookieOutlivesLockout(t *testing.T) {
	t.Parallel()
	// alignedClock: 13 s into a minute (a throttle window) and into a TOTP
	// step, so whole steps never cross a window by accident.
	s := testserver.New(t, testserver.Options{Env: throttled(map[string]string{"AUTH_TRUSTED_PROXIES": "127.0.0.1,::1"}),
		Clock: alignedClock()})
	u := newMFAUser(t, s, "alice")
	const home, attacker, elsewhere = "192.0.2.10", "203.0.113.66", "198.51.100.5"
	step2 := func(ip, tok, code string, dev *http.Cookie) *testserver.Response {
		h := map[string]string{"X-Forwarded-For": ip}
		if dev != nil {
			h["Cookie"] = dev.Name + "=" + dev.Value
		}
		return s.Do(testserver.Request{Method: http.MethodPost, Path: pathTokenMFA, Header: h,
			JSON: map[string]string{"mfa_token": tok, "code": code}})
	}
	passwordStep := func(ip string, dev *http.Cookie) string {
		t.Helper()
		return wantError(t, loginFrom(s, ip, u.name, u.pw, dev), http.StatusForbidden, "mfa_required")["mfa_token"].(string)
	}
	r := step2(home, passwordStep(home, nil), u.fresh(t, s), nil)
	wantStatus(t, r, http.StatusOK)
	dev := deviceCookie(r)
	if dev == nil {
		t.Fatal("the second step set no device cookie")
	}
	// Someone who has the password but not the cookie (a new browser, or a
	// thief) starts a login now; the step is finished after the lock-out.
	noCookieTok := passwordStep(elsewhere, nil)

	s.Clock.Advance(totpStep) // the next minute's window, 13 s in; a new step
	for range 5 {
		wantError(t, loginFrom(s, attacker, u.name, "not-the-Password-1", nil), http.StatusUnauthorized, "no_active_account")
	}
	// Without the cookie the account's budget is what both steps spend, and
	// it is gone: 429 before the code is looked at (so it is not spent).
	wantError(t, loginFrom(s, elsewhere, u.name, u.pw, nil), http.StatusTooManyRequests, "throttled")
	wantError(t, step2(elsewhere, noCookieTok, u.now(t, s), nil), http.StatusTooManyRequests, "throttled")
	// The owner's browser: the cookie's budget, untouched by the stranger.
	r = step2(home, passwordStep(home, dev), u.now(t, s), dev)
	wantAMR(t, pairOf(t, r).Access, amrMFA, s.Clock.Now())
}

// A refresh copies amr and auth_time from the refresh token, and so does
// its grace twin (the same refresh token again within the grace), which
// gets the same successor. The log, at debug level, holds none of the
// factor's secrets: not the TOTP secret, an mfa_token or a code.
func TestMFARefreshTwinAndLogs(t *testing.T) {
	t.Parallel()
	var logs testserver.LogBuffer
	s := mfaServerWith(t, testserver.Options{Log: &logs})
	u := newMFAUser(t, s, "twin")
	s.Clock.Advance(totpStep)
	tok := mfaLogin(t, s, pathToken, u.name, u.pw)
	wrong, code, at := u.wrong(t, s), u.now(t, s), s.Clock.Now()
	wantError(t, finish(s, tok, wrong), http.StatusUnauthorized, "mfa_invalid")
	p := pairOf(t, finish(s, tok, code))
	s.Clock.Advance(3 * time.Second)
	a := pairOf(t, refresh(s, p.Refresh))
	twin := pairOf(t, refresh(s, p.Refresh))
	if twin.Refresh != a.Refresh {
		t.Errorf("the grace twin got another refresh token")
	}
	next := pairOf(t, refresh(s, twin.Refresh))
	for _, raw := range []string{a.Access, a.Refresh, twin.Access, twin.Refresh, next.Access} {
		wantAMR(t, raw, amrMFA, at)
	}
	tok2 := mfaLogin(t, s, pathAccountLogin, u.name, u.pw)
	wantStatus(t, finish(s, tok2, u.recovery[0]), http.StatusOK)
	r := stepUp(s, http.MethodPost, pathRecovery, u.pair.Access, map[string]any{"password": u.pw, "code": u.recovery[1]})
	wantStatus(t, r, http.StatusOK)

	out := logs.String()
	// testserver.New always logs at slog.LevelDebug, so whatever the
	// service would write at debug is in out (SQLite's rotation batcher
	// writes debug lines; on PostgreSQL there may be none).
	if !strings.Contains(out, `"request_id"`) {
		t.Fatal("no request was logged: the test would prove nothing")
	}
	needles := map[string]string{"mfa_token": tok, "second mfa_token": tok2,
		// Quoted: a bare six-digit string may well occur in a timestamp.
		"TOTP code": `"` + code + `"`, "wrong code": `"` + wrong + `"`}
	for form, b := range secretForms(t, u.secret) {
		needles["secret as "+form] = string(b)
	}
	for i, c := range slices.Concat(u.recovery[:2], recoveryCodesOf(t, r)) {
		needles[fmt.Sprintf("recovery code %d", i)] = c
		needles[fmt.Sprintf("recovery code %d without dash", i)] = strings.ReplaceAll(c, "-", "")
	}
	for what, v := range needles {
		if strings.Contains(out, v) {
			t.Errorf("the log holds the %s", what)
		}
	}
}
