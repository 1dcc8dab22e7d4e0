package accounts_test

import (
	"context"
	"testing"
	"time"

	"authsvc/accounts"
	"authsvc/apierr"
	"authsvc/models"
)

// svcLoginAs is a login call with that name and password.
func svcLoginAs(name, password string) func(*testing.T, *svcEnv, *models.User) error {
	return func(_ *testing.T, e *svcEnv, _ *models.User) error {
		_, _, err := e.svc.Login(context.Background(), name, password, accounts.Meta{})
		return err
	}
}

// svcOpen opens a session for the user as setup read it.
func svcOpen(_ *testing.T, e *svcEnv, u *models.User) error {
	_, err := e.svc.OpenSession(context.Background(), u, accounts.Meta{}, accounts.Auth{Time: time.Now(), AMR: []string{accounts.AMRPassword}})
	return err
}

// Login: one answer for a wrong password, an unknown name and an inactive
// user; a password check is good only for the credential version it read,
// so a change in between (password, logout everywhere, deactivation) makes
// the session it would open the failed login's answer.
func TestSvcLogin(t *testing.T) {
	t.Parallel()
	changed := func(t *testing.T, e *svcEnv) *models.User {
		u := e.register(t, "ann")
		e.changePassword(t, e.login(t, "ann").p)
		return u
	}
	changePassword := func(t *testing.T, e *svcEnv, s svcSession) { e.changePassword(t, s.p) }
	logoutAll := func(t *testing.T, e *svcEnv, s svcSession) {
		if err := e.svc.LogoutAll(context.Background(), s.p); err != nil {
			t.Fatal(err)
		}
	}
	deactivate := func(t *testing.T, e *svcEnv, s svcSession) { e.deactivate(t, s.p.User.ID) }
	none := apierr.NoActiveAccount
	svcRun(t, []svcRow[*models.User]{
		{name: "right password", setup: svcAnn, call: svcLoginAs("ann", svcPassword)},
		{name: "name in another case", setup: svcAnn, call: svcLoginAs("ANN", svcPassword)},
		{name: "a year after registering", setup: svcAnn, advance: 365 * 24 * time.Hour, call: svcLoginAs("ann", svcPassword)},
		{name: "wrong password", setup: svcAnn, call: svcLoginAs("ann", svcNewPass), want: none},
		{name: "unknown name", setup: svcAnn, call: svcLoginAs("bob", svcPassword), want: none},
		{name: "inactive user", setup: svcInactiveAnn, call: svcLoginAs("ann", svcPassword), want: none},
		{name: "old password after a change", setup: changed, call: svcLoginAs("ann", svcPassword), want: none},
		{name: "new password after a change", setup: changed, call: svcLoginAs("ann", svcNewPass)},
		{name: "checked, nothing changed since", setup: svcChecked(nil), call: svcOpen},
		{name: "checked, then the password changed", setup: svcChecked(changePassword), call: svcOpen, want: none},
		{name: "checked, then logged out everywhere", setup: svcChecked(logoutAll), call: svcOpen, want: none},
		{name: "checked, then deactivated", setup: svcChecked(deactivate), call: svcOpen, want: none},
	})
}

// An access token authenticates its session until it expires on the
// service's clock, and no longer once the session ends or its user is
// deactivated.
func TestSvcAccessToken(t *testing.T) {
	t.Parallel()
	signedIn := func(t *testing.T, e *svcEnv) svcSession {
		e.register(t, "ann")
		return e.login(t, "ann")
	}
	then := func(change func(t *testing.T, e *svcEnv, s svcSession)) func(*testing.T, *svcEnv) svcSession {
		return func(t *testing.T, e *svcEnv) svcSession {
			s := signedIn(t, e)
			change(t, e, s)
			return s
		}
	}
	ended := then(func(t *testing.T, e *svcEnv, s svcSession) {
		if err := e.svc.EndSession(context.Background(), s.p, s.p.SessionID); err != nil {
			t.Fatal(err)
		}
	})
	deactivated := then(func(t *testing.T, e *svcEnv, s svcSession) { e.deactivate(t, s.p.User.ID) })
	auth := func(_ *testing.T, e *svcEnv, s svcSession) error {
		_, err := e.svc.Authenticate(context.Background(), s.pair.Access)
		return err
	}
	garbage := func(_ *testing.T, e *svcEnv, _ svcSession) error {
		_, err := e.svc.Authenticate(context.Background(), "not.a.token")
		return err
	}
	refresh := func(_ *testing.T, e *svcEnv, s svcSession) error {
		_, err := e.svc.Authenticate(context.Background(), s.pair.Refresh)
		return err
	}
	invalid := apierr.AccessTokenInvalid(apierr.MsgTokenInvalid)
	svcRun(t, []svcRow[svcSession]{
		{name: "fresh", setup: signedIn, call: auth},
		{name: "just before it expires", setup: signedIn, advance: svcAccessTTL - time.Second, call: auth},
		{name: "after it expired", setup: signedIn, advance: svcAccessTTL + time.Second, call: auth, want: invalid},
		{name: "session ended", setup: ended, call: auth, want: svcEnded},
		{name: "user deactivated", setup: deactivated, call: auth, want: apierr.UserInactive},
		{name: "not a token", setup: signedIn, call: garbage, want: invalid},
		{name: "a refresh token", setup: signedIn, call: refresh, want: invalid},
	})
}
