package accounts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"authsvc/accounts"
)

// svcLink is ann signed in with a reset link mailed to her.
type svcLink struct {
	token string
	sess  svcSession
}

// svcLinked signs ann in, mails her a reset link, then runs then (if set)
// before the link is used.
func svcLinked(then func(t *testing.T, e *svcEnv, l svcLink)) func(*testing.T, *svcEnv) svcLink {
	return func(t *testing.T, e *svcEnv) svcLink {
		e.register(t, "ann")
		l := svcLink{sess: e.login(t, "ann")}
		if err := e.svc.RequestPasswordReset(context.Background(), accounts.Str("ann@example.test")); err != nil {
			t.Fatal(err)
		}
		tokens := e.outbox.tokens(t)
		if len(tokens) != 1 {
			t.Fatalf("%d links sent, want 1", len(tokens))
		}
		l.token = tokens[0]
		if then != nil {
			then(t, e, l)
		}
		return l
	}
}

// svcConfirm confirms the reset with token(l) and password ("": missing).
func svcConfirm(token func(svcLink) string, password string) func(*testing.T, *svcEnv, svcLink) error {
	return func(_ *testing.T, e *svcEnv, l svcLink) error {
		return e.svc.ConfirmPasswordReset(context.Background(),
			accounts.ResetConfirmInput{Token: svcField(token(l)), NewPassword: svcField(password)})
	}
}

func svcLinkToken(l svcLink) string { return l.token }

// A reset link works once, until the reset lifetime ends on the service's
// clock, and only while the user has the password and address it was sent
// for; a confirmation that fails on the new password leaves it unused.
func TestSvcConfirmReset(t *testing.T) {
	t.Parallel()
	confirm := svcConfirm(svcLinkToken, svcNewPass)
	used := svcLinked(func(t *testing.T, e *svcEnv, l svcLink) { svcCheck(t, confirm(t, e, l), nil) })
	changed := svcLinked(func(t *testing.T, e *svcEnv, l svcLink) { e.changePassword(t, l.sess.p) })
	moved := svcLinked(func(t *testing.T, e *svcEnv, l svcLink) {
		_, err := e.svc.UpdateProfile(context.Background(), l.sess.p, accounts.ProfileInput{
			Email: accounts.Str("ann@elsewhere.test"), CurrentPassword: accounts.Str(svcPassword)})
		svcCheck(t, err, nil)
	})
	deactivated := svcLinked(func(t *testing.T, e *svcEnv, l svcLink) { e.deactivate(t, l.sess.p.User.ID) })
	reset := func(t *testing.T, e *svcEnv, l svcLink) {
		svcPasswordIs(t, e, svcNewPass)
		e.auth(t, l.sess, svcEnded)
	}
	stillUsable := func(t *testing.T, e *svcEnv, l svcLink) {
		svcCheck(t, confirm(t, e, l), nil)
		reset(t, e, l)
	}
	unknown := func(svcLink) string { return "bm90LWEtdG9rZW4" }
	tooLong := func(l svcLink) string { return strings.Repeat(l.token, 4) }
	bad := svcInvalid("token")
	svcRun(t, []svcRow[svcLink]{
		{name: "fresh", setup: svcLinked(nil), call: confirm, check: reset},
		{name: "just before it expires", setup: svcLinked(nil), advance: svcResetTTL - time.Microsecond,
			call: confirm, check: reset},
		{name: "as it expires", setup: svcLinked(nil), advance: svcResetTTL, call: confirm, want: bad},
		{name: "a day later", setup: svcLinked(nil), advance: 24 * time.Hour, call: confirm, want: bad},
		{name: "used already", setup: used, call: svcConfirm(svcLinkToken, svcNewPass+"-again"), want: bad},
		{name: "password changed since", setup: changed, call: svcConfirm(svcLinkToken, "Third-pass-for-ann-5"), want: bad},
		{name: "address changed since", setup: moved, call: confirm, want: bad},
		{name: "user deactivated since", setup: deactivated, call: confirm, want: bad},
		{name: "unknown token", setup: svcLinked(nil), call: svcConfirm(unknown, svcNewPass), want: bad},
		{name: "token too long", setup: svcLinked(nil), call: svcConfirm(tooLong, svcNewPass), want: bad},
		{name: "new password too common", setup: svcLinked(nil), call: svcConfirm(svcLinkToken, "password1"),
			want: svcInvalid("new_password"), check: stillUsable},
		{name: "nothing sent", setup: svcLinked(nil), call: svcConfirm(func(svcLink) string { return "" }, ""),
			want: svcInvalid("token", "new_password"), check: stillUsable},
	})
}

// svcRequest asks for a reset link to addr and checks how many links have
// been sent in all since the env started.
func svcRequest(addr string, sent int) func(*testing.T, *svcEnv, struct{}) error {
	return func(t *testing.T, e *svcEnv, _ struct{}) error {
		err := e.svc.RequestPasswordReset(context.Background(), svcField(addr))
		if got := len(e.outbox.tokens(t)); got != sent {
			t.Fatalf("%d links sent, want %d", got, sent)
		}
		return err
	}
}

// A reset link goes to an active user's address, whatever its case; nothing
// goes anywhere else, and at most three links are live at once.
func TestSvcRequestReset(t *testing.T) {
	t.Parallel()
	ann := func(t *testing.T, e *svcEnv) struct{} { e.register(t, "ann"); return struct{}{} }
	deactivated := func(t *testing.T, e *svcEnv) struct{} {
		e.deactivate(t, e.register(t, "ann").ID)
		return struct{}{}
	}
	three := func(t *testing.T, e *svcEnv) struct{} {
		ann(t, e)
		for i := range 3 {
			svcCheck(t, svcRequest("ann@example.test", i+1)(t, e, struct{}{}), nil)
		}
		return struct{}{}
	}
	svcRun(t, []svcRow[struct{}]{
		{name: "known address", setup: ann, call: svcRequest("ann@example.test", 1)},
		{name: "address in another case", setup: ann, call: svcRequest("ANN@Example.TEST", 1)},
		{name: "unknown address", setup: ann, call: svcRequest("bob@example.test", 0)},
		{name: "inactive user", setup: deactivated, call: svcRequest("ann@example.test", 0)},
		{name: "not an address", setup: ann, call: svcRequest("ann@", 0), want: svcInvalid("email")},
		{name: "no address", setup: ann, call: svcRequest("", 0), want: svcInvalid("email")},
		{name: "a fourth while three are live", setup: three, call: svcRequest("ann@example.test", 3)},
		{name: "a fourth just before the three expire", setup: three, advance: svcResetTTL - time.Microsecond,
			call: svcRequest("ann@example.test", 3)},
		{name: "a fourth once the three expired", setup: three, advance: svcResetTTL, call: svcRequest("ann@example.test", 4)},
	})
}
