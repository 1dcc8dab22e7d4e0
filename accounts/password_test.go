package accounts_test

import (
	"context"
	"testing"

	"authsvc/accounts"
	"authsvc/apierr"
)

// svcChange changes the password through ann's second session (viaKey:
// through her API key) with these fields ("": missing).
func svcChange(viaKey bool, old, pw string) func(*testing.T, *svcEnv, svcPeople) error {
	return func(t *testing.T, e *svcEnv, s svcPeople) error {
		p := s.second.p
		if viaKey {
			var err error
			if p, err = e.svc.AuthenticateKey(context.Background(), s.annKey); err != nil {
				t.Fatal(err)
			}
		}
		return e.svc.ChangePassword(context.Background(), p,
			accounts.ChangePasswordInput{OldPassword: svcField(old), NewPassword: svcField(pw)})
	}
}

// A password change needs the old password and a new one the policy
// accepts; it ends every other session and API key of the user and keeps
// the one that asked.
func TestSvcChangePassword(t *testing.T) {
	t.Parallel()
	unchanged := func(t *testing.T, e *svcEnv, s svcPeople) {
		svcPasswordIs(t, e, svcPassword)
		e.auth(t, s.first, nil)
	}
	keyIs := func(t *testing.T, e *svcEnv, s svcPeople, want *apierr.Error) {
		t.Helper()
		_, err := e.svc.AuthenticateKey(context.Background(), s.annKey)
		svcCheck(t, err, want)
	}
	svcRun(t, []svcRow[svcPeople]{
		{name: "through a session", setup: svcSignIn, call: svcChange(false, svcPassword, svcNewPass),
			check: func(t *testing.T, e *svcEnv, s svcPeople) {
				svcPasswordIs(t, e, svcNewPass)
				e.auth(t, s.second, nil)
				e.auth(t, s.first, svcEnded)
				keyIs(t, e, s, apierr.InvalidKey)
				e.auth(t, s.bob, nil)
			}},
		{name: "through an API key", setup: svcSignIn, call: svcChange(true, svcPassword, svcNewPass),
			check: func(t *testing.T, e *svcEnv, s svcPeople) {
				svcPasswordIs(t, e, svcNewPass)
				keyIs(t, e, s, nil)
				e.auth(t, s.first, svcEnded)
				e.auth(t, s.second, svcEnded)
			}},
		{name: "wrong old password", setup: svcSignIn, call: svcChange(false, svcNewPass, svcNewPass+"x"),
			want: svcInvalid("old_password"), check: unchanged},
		{name: "old password missing", setup: svcSignIn, call: svcChange(false, "", svcNewPass),
			want: svcInvalid("old_password"), check: unchanged},
		{name: "new password missing", setup: svcSignIn, call: svcChange(false, svcPassword, ""),
			want: svcInvalid("new_password"), check: unchanged},
		{name: "new password too common", setup: svcSignIn, call: svcChange(false, svcPassword, "password1"),
			want: svcInvalid("new_password"), check: unchanged},
		{name: "new password numeric", setup: svcSignIn, call: svcChange(false, svcPassword, "8412093375"),
			want: svcInvalid("new_password"), check: unchanged},
		{name: "both wrong", setup: svcSignIn, call: svcChange(false, "nope-nope-nope", "short"),
			want: svcInvalid("old_password", "new_password"), check: unchanged},
	})
}
