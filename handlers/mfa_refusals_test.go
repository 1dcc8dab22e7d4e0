package handlers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

const (
	detailMFAInvalid      = "Invalid authentication code."
	detailMFATokenInvalid = "The MFA token is invalid or expired."
)

// mfaFlow drives token/mfa/ for a user with a factor, whose confirm used
// the clock's current step, and returns the answer under test.
type mfaFlow func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response

// POST token/mfa/ accepts exactly the codes the contract allows, once,
// within the mfa_token's life and budget.
func TestMFATokenRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range mfaRefusalCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := mfaServer(t, nil)
			u := newMFAUser(t, s, "guarded")
			r := tc.flow(t, s, u)
			if tc.status == http.StatusOK {
				wantAMR(t, pairOf(t, r).Access, amrMFA, claimTime(t, r))
				return
			}
			m := wantError(t, r, tc.status, tc.code)
			want := map[string]string{"mfa_invalid": detailMFAInvalid, "mfa_token_invalid": detailMFATokenInvalid}[tc.code]
			if m["detail"] != want {
				t.Errorf("detail %v, want %q", m["detail"], want)
			}
		})
	}
}

// mfaRefusal is one token/mfa/ flow and its expected answer.
type mfaRefusal struct {
	name   string
	flow   mfaFlow
	status int
	code   string
}

// passwordStep is the password step at token/.
func passwordStep(t *testing.T, s *testserver.Server, u *mfaUser) string {
	t.Helper()
	return mfaLogin(t, s, pathToken, u.name, u.pw)
}

func mfaRefusalCases() []mfaRefusal {
	return []mfaRefusal{
		{"right code", func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
			return finish(s, passwordStep(t, s, u), u.fresh(t, s))
		}, 200, ""},
		{"wrong code", func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
			s.Clock.Advance(totpStep)
			return finish(s, passwordStep(t, s, u), u.wrong(t, s))
		}, 401, "mfa_invalid"},
		{"replay of the step confirm used", func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
			return finish(s, passwordStep(t, s, u), u.now(t, s))
		}, 401, "mfa_invalid"},
		{"replay of the step a login used", func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
			code := u.fresh(t, s)
			pairOf(t, finish(s, passwordStep(t, s, u), code))
			return finish(s, passwordStep(t, s, u), code)
		}, 401, "mfa_invalid"},
		{"previous step (drift)", func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
			s.Clock.Advance(2 * totpStep)
			return finish(s, passwordStep(t, s, u), u.window(t, s, -1, -1)[0])
		}, 200, ""},
		{"next step (drift)", func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
			s.Clock.Advance(totpStep)
			return finish(s, passwordStep(t, s, u), u.window(t, s, 1, 1)[0])
		}, 200, ""},
		{"two steps old", twoStepsOld(), 401, "mfa_invalid"},
		{"mfa_token at 4m59s", func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
			tok := passwordStep(t, s, u)
			s.Clock.Advance(4*time.Minute + 59*time.Second)
			return finish(s, tok, u.now(t, s))
		}, 200, ""},
		{"mfa_token expired (5m1s)", func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
			tok := passwordStep(t, s, u)
			s.Clock.Advance(5*time.Minute + time.Second)
			return finish(s, tok, u.now(t, s))
		}, 401, "mfa_token_invalid"},
		{"4 wrong codes then the right one", wrongThenRight(4), 200, ""},
		{"5 wrong codes then the right one", wrongThenRight(5), 401, "mfa_token_invalid"},
		{"mfa_token used twice", func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
			tok := passwordStep(t, s, u)
			pairOf(t, finish(s, tok, u.fresh(t, s)))
			return finish(s, tok, u.fresh(t, s))
		}, 401, "mfa_token_invalid"},
		{"unknown mfa_token", func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
			passwordStep(t, s, u)
			return finish(s, "not-an-mfa-token", u.fresh(t, s))
		}, 401, "mfa_token_invalid"},
		{"password changed since the login", func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
			tok := passwordStep(t, s, u)
			wantStatus(t, stepUp(s, http.MethodPost, pathPassword, u.pair.Access, map[string]any{
				"old_password": u.pw, "new_password": strongPassword, "code": u.fresh(t, s)}), http.StatusOK)
			return finish(s, tok, u.fresh(t, s))
		}, 401, "mfa_token_invalid"},
		{"recovery code used twice", func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
			pairOf(t, finish(s, passwordStep(t, s, u), u.recovery[3]))
			return finish(s, passwordStep(t, s, u), u.recovery[3])
		}, 401, "mfa_invalid"},
		{"recovery code upper case, spaces, no dash", func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
			typed := " " + strings.ToUpper(strings.ReplaceAll(u.recovery[7], "-", "")) + " "
			typed = typed[:4] + " " + typed[4:]
			return finish(s, passwordStep(t, s, u), typed)
		}, 200, ""},
		{"another user's TOTP code", otherUsersCode(false), 401, "mfa_invalid"},
		{"another user's recovery code", otherUsersCode(true), 401, "mfa_invalid"},
	}
}

// claimTime is the auth_time the pair in r carries, read back so a case's
// own clock moves need not be tracked; wantAMR still checks it is there.
func claimTime(t *testing.T, r *testserver.Response) time.Time {
	t.Helper()
	at, _ := claimsOf(t, r.Str(t, "access"))["auth_time"].(float64)
	return time.Unix(int64(at), 0)
}

// twoStepsOld sends the code of the step two before now, on a step where
// that code is not also a code of the drift window (a chance collision).
func twoStepsOld() mfaFlow {
	return func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
		s.Clock.Advance(3 * totpStep)
		for slices.Contains(u.window(t, s, -1, 1), u.window(t, s, -2, -2)[0]) {
			s.Clock.Advance(totpStep)
		}
		return finish(s, passwordStep(t, s, u), u.window(t, s, -2, -2)[0])
	}
}

// wrongThenRight spends n wrong codes on one mfa_token (each refused as
// mfa_invalid), then sends a right one.
func wrongThenRight(n int) mfaFlow {
	return func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
		s.Clock.Advance(totpStep)
		tok := passwordStep(t, s, u)
		for i := range n {
			if r := finish(s, tok, u.wrong(t, s)); r.Status != http.StatusUnauthorized || r.Str(t, "code") != "mfa_invalid" {
				t.Fatalf("wrong code %d: %d %s, want 401 mfa_invalid", i+1, r.Status, r.Body)
			}
		}
		return finish(s, tok, u.now(t, s))
	}
}

// otherUsersCode sends, on the user's mfa_token, a valid code of another
// user with a factor: codes belong to their user.
func otherUsersCode(recovery bool) mfaFlow {
	return func(t *testing.T, s *testserver.Server, u *mfaUser) *testserver.Response {
		other := newMFAUser(t, s, "bystander")
		code := other.recovery[0]
		if !recovery {
			code = other.fresh(t, s)
			// Move on until the other user's code is not also ours.
			for slices.Contains(u.window(t, s, -1, 1), code) {
				code = other.fresh(t, s)
			}
		}
		return finish(s, passwordStep(t, s, u), code)
	}
}
