package accounts_test

import (
	"context"
	"testing"

	"authsvc/accounts"
)

// svcFailed registers ann and bob and signs ann in with an API key (a
// stolen one, say), then has n logins of name fail and runs then (if set).
// It returns the key's principal.
func svcFailed(name string, n int,
	then func(t *testing.T, e *svcEnv, ann *accounts.Principal)) func(*testing.T, *svcEnv) *accounts.Principal {
	return func(t *testing.T, e *svcEnv) *accounts.Principal {
		e.register(t, "ann")
		e.register(t, "bob")
		_, ann := e.key(t, "ann", 0)
		e.failLogins(t, context.Background(), name, n)
		if then != nil {
			then(t, e, ann)
		}
		return ann
	}
}

// svcLoginCall logs name in with the right password for ann and bob.
func svcLoginCall(name string) func(*testing.T, *svcEnv, *accounts.Principal) error {
	return func(_ *testing.T, e *svcEnv, _ *accounts.Principal) error {
		_, _, err := e.svc.Login(context.Background(), name, svcPassword, accounts.Meta{})
		return err
	}
}

// Failed password checks of an account are limited per window on the
// service's clock, whichever endpoint made them; a right password is not
// counted, a refused attempt is not checked, and an unknown name has a
// budget of its own that looks the same from outside.
func TestSvcFailureBudget(t *testing.T) {
	t.Parallel()
	rename := func(t *testing.T, e *svcEnv, ann *accounts.Principal) {
		_, err := e.svc.UpdateProfile(context.Background(), ann, accounts.ProfileInput{Username: accounts.Str("anna")})
		svcCheck(t, err, nil)
	}
	succeed := func(t *testing.T, e *svcEnv, _ *accounts.Principal) {
		for range 2 * svcFailures {
			e.login(t, "ann")
		}
	}
	changePassword := func(_ *testing.T, e *svcEnv, ann *accounts.Principal) error {
		return e.svc.ChangePassword(context.Background(), ann, accounts.ChangePasswordInput{
			OldPassword: accounts.Str(svcPassword), NewPassword: accounts.Str(svcNewPass)})
	}
	deleteAccount := func(_ *testing.T, e *svcEnv, ann *accounts.Principal) error {
		return e.svc.DeleteAccount(context.Background(), ann, accounts.Str(svcPassword), accounts.Field{})
	}
	keyLogin := func(_ *testing.T, e *svcEnv, _ *accounts.Principal) error {
		_, _, err := e.svc.KeyLogin(context.Background(), "ann", svcPassword, 0, accounts.FlowKey, accounts.Meta{})
		return err
	}
	svcRun(t, []svcRow[*accounts.Principal]{
		{name: "one failure short of the limit", setup: svcFailed("ann", svcFailures-1, nil), call: svcLoginCall("ann")},
		{name: "at the limit", setup: svcFailed("ann", svcFailures, nil), call: svcLoginCall("ann"), want: svcThrottled},
		{name: "at the limit, the window after", setup: svcFailed("ann", svcFailures, nil), advance: svcWindow,
			call: svcLoginCall("ann")},
		{name: "successes are not counted", setup: svcFailed("ann", svcFailures-1, succeed), call: svcLoginCall("ann")},
		{name: "another account is not limited", setup: svcFailed("ann", svcFailures, nil), call: svcLoginCall("bob")},
		{name: "an unknown name is limited too", setup: svcFailed("ghost", svcFailures, nil), call: svcLoginCall("ghost"),
			want: svcThrottled},
		{name: "an unknown name does not spend a real one's", setup: svcFailed("ghost", svcFailures, nil),
			call: svcLoginCall("ann")},
		{name: "the name in another case is the same account", setup: svcFailed("ANN", svcFailures, nil),
			call: svcLoginCall("ann"), want: svcThrottled},
		{name: "a rename keeps the budget", setup: svcFailed("ann", svcFailures, rename), call: svcLoginCall("anna"),
			want: svcThrottled},
		{name: "key login shares it", setup: svcFailed("ann", svcFailures, nil), call: keyLogin, want: svcThrottled},
		{name: "password change shares it", setup: svcFailed("ann", svcFailures, nil), call: changePassword,
			want: svcThrottled},
		{name: "account deletion shares it", setup: svcFailed("ann", svcFailures, nil), call: deleteAccount,
			want: svcThrottled},
	})
}

// svcGuessed signs ann in DeviceBudgetFactor+1 times, and has each of
// the first cookies make svcFailures wrong logins (each within its own
// budget). It returns the last cookie, which made none.
func svcGuessed(cookies int) func(*testing.T, *svcEnv) string {
	return func(t *testing.T, e *svcEnv) string {
		e.register(t, "ann")
		var c []string
		for range accounts.DeviceBudgetFactor + 1 {
			c = append(c, e.login(t, "ann").cookie.Value)
		}
		for _, cookie := range c[:cookies] {
			e.failLogins(t, accounts.WithDeviceCookie(context.Background(), cookie), "ann", svcFailures)
		}
		return c[len(c)-1]
	}
}

// svcLoginWith logs ann in with the right password and cookie.
func svcLoginWith(_ *testing.T, e *svcEnv, cookie string) error {
	ctx := accounts.WithDeviceCookie(context.Background(), cookie)
	_, _, err := e.svc.Login(ctx, "ann", svcPassword, accounts.Meta{})
	return err
}

// Every device cookie has a budget of its own, but all of an account's
// cookies together get DeviceBudgetFactor times the account's in a window:
// holding more cookies does not buy more guesses.
func TestSvcDeviceBudgetCap(t *testing.T) {
	t.Parallel()
	const f = accounts.DeviceBudgetFactor
	svcRun(t, []svcRow[string]{
		{name: "under the cap", setup: svcGuessed(f - 1), call: svcLoginWith},
		{name: "the cap reached through many cookies", setup: svcGuessed(f), call: svcLoginWith, want: svcThrottled},
		{name: "the cap reached, the window after", setup: svcGuessed(f), advance: svcWindow, call: svcLoginWith},
	})
}
