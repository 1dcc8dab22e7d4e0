package handlers_test

import (
	"fmt"
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

// stepUpCase is one endpoint that needs the second factor on top of the
// password once a factor is on.
type stepUpCase struct {
	// path "" is /api/accounts/profiles/{id}/ of the user.
	name, method, path string
	// body is the request without "code", for user u.
	body   func(u *mfaUser) map[string]any
	status int
	// effect checks the action happened (done) or did not.
	effect func(t *testing.T, s *testserver.Server, u *mfaUser, done bool)
}

func stepUpCases() []stepUpCase {
	return []stepUpCase{
		{"password change", http.MethodPost, pathPassword, func(u *mfaUser) map[string]any {
			return map[string]any{"old_password": u.pw, "new_password": strongPassword}
		}, http.StatusOK, wantPasswordMoved},
		{"account deletion", http.MethodDelete, pathProfile, func(u *mfaUser) map[string]any {
			return map[string]any{"password": u.pw}
		}, http.StatusNoContent, func(t *testing.T, s *testserver.Server, u *mfaUser, done bool) {
			r := s.Post(pathToken, map[string]string{"username": u.name, "password": u.pw})
			if done {
				wantError(t, r, http.StatusUnauthorized, "no_active_account")
			} else {
				wantError(t, r, http.StatusForbidden, "mfa_required")
			}
		}},
		{"email change (PATCH)", http.MethodPatch, pathProfile, emailBody(false), http.StatusOK, wantEmailMoved},
		{"email change (PUT)", http.MethodPut, pathProfile, emailBody(true), http.StatusOK, wantEmailMoved},
		{"email change (profiles/{id} PATCH)", http.MethodPatch, "", emailBody(false), http.StatusOK, wantEmailMoved},
		{"password change (profile PATCH)", http.MethodPatch, pathProfile, func(u *mfaUser) map[string]any {
			return map[string]any{"current_password": u.pw, "password": strongPassword}
		}, http.StatusOK, wantPasswordMoved},
		{"turning TOTP off", http.MethodDelete, pathTOTP, func(u *mfaUser) map[string]any {
			return map[string]any{"password": u.pw}
		}, http.StatusNoContent, func(t *testing.T, s *testserver.Server, u *mfaUser, done bool) {
			if !done {
				wantMFAStatus(t, s, u.pair.Access, true, 10)
				return
			}
			wantMFAStatus(t, s, u.pair.Access, false, 0)
			wantAMR(t, s.Login(u.name, u.pw).Access, amrPwd, s.Clock.Now())
		}},
		{"new recovery codes", http.MethodPost, pathRecovery, func(u *mfaUser) map[string]any {
			return map[string]any{"password": u.pw}
		}, http.StatusOK, func(t *testing.T, s *testserver.Server, u *mfaUser, done bool) {
			wantMFAStatus(t, s, u.pair.Access, true, 10)
			if done {
				r := finish(s, mfaLogin(t, s, pathToken, u.name, u.pw), u.recovery[0])
				wantError(t, r, http.StatusUnauthorized, "mfa_invalid")
			}
		}},
	}
}

func emailBody(put bool) func(u *mfaUser) map[string]any {
	return func(u *mfaUser) map[string]any {
		b := map[string]any{"email": u.name + "@moved.test", "current_password": u.pw}
		if put {
			b["username"] = u.name
		}
		return b
	}
}

// wantPasswordMoved checks which password logs in (to the factor step).
func wantPasswordMoved(t *testing.T, s *testserver.Server, u *mfaUser, done bool) {
	t.Helper()
	pw := u.pw
	if done {
		pw = strongPassword
	}
	mfaLogin(t, s, pathToken, u.name, pw)
}

// wantEmailMoved checks the change was taken (done) or not: with
// verification on, a change taken makes the address pending (its link
// applies it), the address itself stays.
func wantEmailMoved(t *testing.T, s *testserver.Server, u *mfaUser, done bool) {
	t.Helper()
	pending := ""
	if done {
		pending = u.name + "@moved.test"
	}
	wantAddress(t, s, u.name, "", pending)
}

// Each step-up endpoint refuses the password alone (403 mfa_required,
// and no mfa_token: this is not a login), a wrong code and a replayed one
// (403 mfa_invalid, 403 not 401 so clients keep their tokens), changes
// nothing when it refuses, and works with a right code.
func TestMFAStepUp(t *testing.T) {
	t.Parallel()
	for _, tc := range stepUpCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := mfaServer(t, nil)
			u := newMFAUser(t, s, "stepper")
			send := func(code string) *testserver.Response {
				b := tc.body(u)
				if code != "" {
					b["code"] = code
				}
				path := tc.path
				if path == "" { // the profiles endpoint, by id
					path = fmt.Sprintf("/api/accounts/profiles/%d/", u.id)
				}
				return stepUp(s, tc.method, path, u.pair.Access, b)
			}
			m := wantError(t, send(""), http.StatusForbidden, "mfa_required")
			if _, has := m["mfa_token"]; has || m["detail"] != "A second factor is required." {
				t.Errorf("step-up refusal %v: want the detail and no mfa_token", m)
			}
			s.Clock.Advance(totpStep)
			for _, bad := range []string{u.wrong(t, s), u.window(t, s, -1, -1)[0] /* confirm's step */} {
				m = wantError(t, send(bad), http.StatusForbidden, "mfa_invalid")
				if m["detail"] != detailMFAInvalid {
					t.Errorf("detail %v", m["detail"])
				}
			}
			tc.effect(t, s, u, false)
			r := send(u.fresh(t, s))
			wantStatus(t, r, tc.status)
			tc.effect(t, s, u, true)
		})
	}
}

// Step-up details beyond the table: a recovery code serves as the factor,
// new recovery codes kill the old ones, a profile change that leaves the
// email alone needs no code, and the password is still checked.
func TestMFAStepUpDetails(t *testing.T) {
	t.Parallel()
	s := mfaServer(t, nil)
	u := newMFAUser(t, s, "detailed")
	wantStatus(t, stepUp(s, http.MethodPatch, pathProfile, u.pair.Access, map[string]any{"bio": "no code needed"}), http.StatusOK)
	wantField(t, stepUp(s, http.MethodPost, pathRecovery, u.pair.Access, map[string]any{
		"password": "not-the-Password-1", "code": u.fresh(t, s)}), "password", "Your password was entered incorrectly.")

	r := stepUp(s, http.MethodPost, pathRecovery, u.pair.Access, map[string]any{"password": u.pw, "code": u.recovery[0]})
	wantStatus(t, r, http.StatusOK)
	list, _ := r.JSON(t)["recovery_codes"].([]any)
	if len(list) != 10 {
		t.Fatalf("new recovery codes: %s", r.Body)
	}
	renewed, _ := list[0].(string)
	wantError(t, finish(s, mfaLogin(t, s, pathToken, u.name, u.pw), u.recovery[1]), http.StatusUnauthorized, "mfa_invalid")
	pairOf(t, finish(s, mfaLogin(t, s, pathToken, u.name, u.pw), renewed))
	wantMFAStatus(t, s, u.pair.Access, true, 9)

	r = stepUp(s, http.MethodDelete, pathTOTP, u.pair.Access, map[string]any{"password": u.pw, "code": list[1]})
	wantStatus(t, r, http.StatusNoContent)
	wantMFAStatus(t, s, u.pair.Access, false, 0)
}
