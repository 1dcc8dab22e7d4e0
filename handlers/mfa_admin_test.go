package handlers_test

import (
	"fmt"
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

const bodyAdminNeedsMFA = `{"detail":"This action requires a second factor.","code":"mfa_required"}`

func adminMFAPath(id int64) string { return fmt.Sprintf("%s%d/mfa/", adminUsersPath, id) }

// A user locked out of their factor gets it removed by staff: the factor
// and recovery codes go, and so does everything opened with them, at once.
func TestAdminRemovesFactor(t *testing.T) {
	t.Parallel()
	s := mfaServer(t, nil)
	staff, _ := newStaff(t, s, "helpdesk")
	plain, plainPW := s.NewUser("nosy")
	plainKey := obtainKey(t, s, "nosy", plainPW)
	u := newMFAUser(t, s, "lockedout")
	second := pairOf(t, finish(s, mfaLogin(t, s, pathToken, u.name, u.pw), u.fresh(t, s)))
	r := finish(s, mfaLogin(t, s, tokenAuthPath, u.name, u.pw), u.fresh(t, s))
	wantStatus(t, r, http.StatusOK)
	key := r.Str(t, "token")

	del := func(id int64, bearer, token string) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodDelete, Path: adminMFAPath(id), Bearer: bearer, Token: token})
	}
	wantJSON(t, del(u.id, "", ""), http.StatusUnauthorized, bodyNoAuth)
	wantJSON(t, del(u.id, plain.Access, ""), http.StatusForbidden, bodyDenied)
	wantJSON(t, del(u.id, "", plainKey), http.StatusForbidden, bodyDenied)
	wantJSON(t, del(u.id, second.Access, ""), http.StatusForbidden, bodyDenied)
	wantJSON(t, del(u.id+1000, staff.Access, ""), http.StatusNotFound, bodyNotFound)
	wantMFAStatus(t, s, second.Access, true, 10)

	wantStatus(t, del(u.id, staff.Access, ""), http.StatusNoContent)
	for _, p := range []testserver.Pair{u.pair, second} {
		wantTokenInvalid(t, profile(s, p.Access))
		if r := refresh(s, p.Refresh); r.Status != http.StatusUnauthorized {
			t.Errorf("refresh after the reset: %d %s", r.Status, r.Body)
		}
	}
	wantJSON(t, getWithKey(s, profilePath, key), http.StatusUnauthorized, bodyInvalidKey)
	p := s.Login(u.name, u.pw)
	wantAMR(t, p.Access, amrPwd, s.Clock.Now())
	wantMFAStatus(t, s, p.Access, false, 0)
	// Staff and bystanders keep their sessions.
	wantStatus(t, profile(s, staff.Access), http.StatusOK)
	wantStatus(t, profile(s, plain.Access), http.StatusOK)
}

// With AUTH_ADMIN_REQUIRE_MFA=on, staff endpoints take only credentials
// from a login that used a second factor (API keys: the login that made
// the key); other endpoints and non-staff answers are unchanged.
func TestAdminRequiresMFA(t *testing.T) {
	t.Parallel()
	s := mfaServer(t, map[string]string{"AUTH_ADMIN_REQUIRE_MFA": "on"})
	pwdOnly, pw := newStaff(t, s, "chief")
	pwdKey := obtainKey(t, s, "chief", pw)
	plainMFA := newMFAUser(t, s, "clerk")
	clerk := pairOf(t, finish(s, mfaLogin(t, s, pathToken, "clerk", plainMFA.pw), plainMFA.fresh(t, s)))

	adminGet := func(bearer, token string) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodGet, Path: adminUsersPath, Bearer: bearer, Token: token})
	}
	wantJSON(t, adminGet(pwdOnly.Access, ""), http.StatusForbidden, bodyAdminNeedsMFA)
	wantJSON(t, adminGet("", pwdKey), http.StatusForbidden, bodyAdminNeedsMFA)
	wantJSON(t, s.Do(testserver.Request{Method: http.MethodDelete, Path: adminMFAPath(plainMFA.id), Bearer: pwdOnly.Access}),
		http.StatusForbidden, bodyAdminNeedsMFA)
	wantStatus(t, profile(s, pwdOnly.Access), http.StatusOK)
	wantJSON(t, adminGet(clerk.Access, ""), http.StatusForbidden, bodyDenied)

	// The session that enrolled proved only the password.
	chief := &mfaUser{name: "chief", pw: pw, secret: enrol(t, s, pwdOnly.Access, pw)}
	confirmTOTP(t, s, pwdOnly.Access, chief.now(t, s))
	wantJSON(t, adminGet(pwdOnly.Access, ""), http.StatusForbidden, bodyAdminNeedsMFA)

	strong := pairOf(t, finish(s, mfaLogin(t, s, pathToken, "chief", pw), chief.fresh(t, s)))
	wantStatus(t, adminGet(strong.Access, ""), http.StatusOK)
	wantStatus(t, adminGet(pairOf(t, refresh(s, strong.Refresh)).Access, ""), http.StatusOK)
	r := finish(s, mfaLogin(t, s, tokenAuthPath, "chief", pw), chief.fresh(t, s))
	wantStatus(t, r, http.StatusOK)
	wantStatus(t, adminGet("", r.Str(t, "token")), http.StatusOK)
	wantStatus(t, s.Do(testserver.Request{Method: http.MethodDelete, Path: adminMFAPath(plainMFA.id), Bearer: strong.Access}),
		http.StatusNoContent)
}
