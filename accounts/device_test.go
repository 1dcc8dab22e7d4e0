package accounts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"authsvc/accounts"
)

// svcDevice is ann's device cookie from an earlier login and her session.
type svcDevice struct {
	cookie string
	sess   svcSession
}

// svcCookie signs ann (and bob) in, keeps ann's device cookie, then runs
// then (if set).
func svcCookie(then func(t *testing.T, e *svcEnv, d *svcDevice)) func(*testing.T, *svcEnv) svcDevice {
	return func(t *testing.T, e *svcEnv) svcDevice {
		e.register(t, "ann")
		e.register(t, "bob")
		d := svcDevice{sess: e.login(t, "ann")}
		if d.cookie = d.sess.cookie.Value; d.cookie == "" || d.sess.cookie.TTL != svcDeviceTTL {
			t.Fatalf("login gave device cookie %+v", d.sess.cookie)
		}
		if then != nil {
			then(t, e, &d)
		}
		return d
	}
}

// svcLockedOut spends ann's account budget with wrong passwords from
// elsewhere, then logs her in with the right one (password, if set) and
// the device cookie.
func svcLockedOut(password string) func(*testing.T, *svcEnv, svcDevice) error {
	return func(t *testing.T, e *svcEnv, d svcDevice) error {
		e.failLogins(t, context.Background(), "ann", svcFailures)
		if password == "" {
			password = svcPassword
		}
		_, _, err := e.svc.Login(accounts.WithDeviceCookie(context.Background(), d.cookie), "ann", password, accounts.Meta{})
		return err
	}
}

// While ann's account budget is spent by someone else's guesses, a login
// with a device cookie from her earlier login spends the cookie's budget
// instead, as long as the cookie is signed, hers, at her current credential
// version and younger than the cookie lifetime on the service's clock.
func TestSvcDeviceCookie(t *testing.T) {
	t.Parallel()
	none := func(_ *testing.T, _ *svcEnv, d *svcDevice) { d.cookie = "" }
	// The credential version it names: 0 becomes 90.
	tampered := func(_ *testing.T, _ *svcEnv, d *svcDevice) { d.cookie = strings.Replace(d.cookie, ".", ".9", 1) }
	bobs := func(t *testing.T, e *svcEnv, d *svcDevice) { d.cookie = e.login(t, "bob").cookie.Value }
	changed := func(t *testing.T, e *svcEnv, d *svcDevice) { e.changePassword(t, d.sess.p) }
	loggedOut := func(t *testing.T, e *svcEnv, d *svcDevice) {
		svcCheck(t, e.svc.LogoutAll(context.Background(), d.sess.p), nil)
	}
	spent := func(t *testing.T, e *svcEnv, d *svcDevice) {
		e.failLogins(t, accounts.WithDeviceCookie(context.Background(), d.cookie), "ann", svcFailures)
	}
	svcRun(t, []svcRow[svcDevice]{
		{name: "fresh cookie", setup: svcCookie(nil), call: svcLockedOut("")},
		{name: "cookie just before its lifetime ends", setup: svcCookie(nil), advance: svcDeviceTTL - time.Second,
			call: svcLockedOut("")},
		{name: "cookie past its lifetime", setup: svcCookie(nil), advance: svcDeviceTTL + time.Second,
			call: svcLockedOut(""), want: svcThrottled},
		{name: "no cookie", setup: svcCookie(none), call: svcLockedOut(""), want: svcThrottled},
		{name: "cookie tampered with", setup: svcCookie(tampered), call: svcLockedOut(""), want: svcThrottled},
		{name: "another user's cookie", setup: svcCookie(bobs), call: svcLockedOut(""), want: svcThrottled},
		{name: "cookie from before a password change", setup: svcCookie(changed), call: svcLockedOut(svcNewPass),
			want: svcThrottled},
		{name: "cookie from before logout everywhere", setup: svcCookie(loggedOut), call: svcLockedOut(""),
			want: svcThrottled},
		{name: "cookie's own budget spent", setup: svcCookie(spent), call: svcLockedOut(""), want: svcThrottled},
	})
}

// Without a failure budget (AUTH_THROTTLE=off) a login gives no device
// cookie: it would serve nothing.
func TestSvcDeviceCookieNeedsBudget(t *testing.T) {
	t.Parallel()
	e := newSvcEnv(t, svcNoBudget)
	e.register(t, "ann")
	if c := e.login(t, "ann").cookie; c != (accounts.DeviceCookie{}) {
		t.Fatalf("device cookie %+v without a budget", c)
	}
	// And nothing is limited.
	e.failLogins(t, context.Background(), "ann", 3*svcFailures)
	_, _, err := e.svc.Login(context.Background(), "ann", svcPassword, accounts.Meta{})
	svcCheck(t, err, nil)
}
