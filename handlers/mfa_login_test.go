package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// With a factor on, the password alone opens nothing: the login answers
// 403 mfa_required with an mfa_token, and the session only exists after
// POST token/mfa/. The pair it gives says how the user proved who they
// are (amr) and when (auth_time), and a refresh keeps both, so step-up
// decisions cannot be laundered through a refresh.
func TestMFALoginNeedsTheCode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		code func(t *testing.T, s *testserver.Server, u *mfaUser) string
	}{
		{"totp code", func(t *testing.T, s *testserver.Server, u *mfaUser) string { return u.now(t, s) }},
		{"recovery code", func(t *testing.T, s *testserver.Server, u *mfaUser) string { return u.recovery[0] }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := mfaServer(t, nil)
			u := newMFAUser(t, s, "twofold")
			before := len(sessionsOf(t, s, u.pair.Access))
			// A new step, so the login below is not a replay of confirm's.
			s.Clock.Advance(totpStep)
			loginAt := s.Clock.Now()
			tok := mfaLogin(t, s, pathToken, u.name, u.pw)
			if n := len(sessionsOf(t, s, u.pair.Access)); n != before {
				t.Fatalf("%d sessions after the password step, want %d (no session yet)", n, before)
			}
			p := pairOf(t, finish(s, tok, tc.code(t, s, u)))
			wantAMR(t, p.Access, amrMFA, loginAt)
			wantAMR(t, p.Refresh, amrMFA, loginAt)
			if n := len(sessionsOf(t, s, p.Access)); n != before+1 {
				t.Fatalf("%d sessions after token/mfa, want %d", n, before+1)
			}
			wantStatus(t, profile(s, p.Access), http.StatusOK)

			s.Clock.Advance(10 * time.Minute)
			r := pairOf(t, refresh(s, p.Refresh))
			wantAMR(t, r.Access, amrMFA, loginAt)
			if r.Refresh != "" {
				wantAMR(t, r.Refresh, amrMFA, loginAt)
			}
		})
	}
}

// A user without a factor logs in with the password alone, and the token
// says so.
func TestPasswordOnlyLoginAMR(t *testing.T) {
	t.Parallel()
	s := mfaServer(t, nil)
	p, _ := s.NewUser("onefold")
	wantAMR(t, p.Access, amrPwd, s.Clock.Now())
	wantAMR(t, p.Refresh, amrPwd, s.Clock.Now())
	loginAt := s.Clock.Now()
	s.Clock.Advance(3 * time.Minute)
	wantAMR(t, pairOf(t, refresh(s, p.Refresh)).Access, amrPwd, loginAt)

	// Enrolment alone (not confirmed) enforces nothing.
	_, pw := s.NewUser("halfway")
	halfway := s.Login("halfway", pw)
	enrol(t, s, halfway.Access, pw)
	wantAMR(t, s.Login("halfway", pw).Access, amrPwd, s.Clock.Now())
}

// The API-key logins ask for the factor the same way, and token/mfa/ then
// answers in the shape of the endpoint the login started at, with a key
// that works.
func TestMFAAPIKeyLogins(t *testing.T) {
	t.Parallel()
	cases := []struct {
		path     string
		wantUser bool
	}{
		{tokenAuthPath, false},
		{pathAccountLogin, true},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			s := mfaServer(t, nil)
			u := newMFAUser(t, s, "keyholder")
			tok := mfaLogin(t, s, tc.path, u.name, u.pw)
			r := finish(s, tok, u.fresh(t, s))
			wantStatus(t, r, http.StatusOK)
			m := r.JSON(t)
			key, _ := m["token"].(string)
			if len(key) < 43 {
				t.Fatalf("no API key in %s", r.Body)
			}
			if _, has := m["access"]; has {
				t.Errorf("a JWT pair in an API-key answer: %s", r.Body)
			}
			usr, hasUser := m["user"].(map[string]any)
			keys := 1
			if tc.wantUser {
				keys = 2
			}
			if hasUser != tc.wantUser || len(m) != keys {
				t.Fatalf("body %s: want token (and user: %v) only", r.Body, tc.wantUser)
			}
			if tc.wantUser && usr["username"] != u.name {
				t.Errorf("user %v", usr)
			}
			wantStatus(t, getWithKey(s, profilePath, key), http.StatusOK)
		})
	}
}
