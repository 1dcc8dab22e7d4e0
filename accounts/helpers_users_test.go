package accounts_test

// The user actions the service-layer tests share (see helpers_test.go).

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"authsvc/accounts"
	"authsvc/apierr"
	"authsvc/mail"
	"authsvc/models"
)

// register creates a user with svcPassword and an address of its name.
func (e *svcEnv) register(t *testing.T, name string) *models.User {
	t.Helper()
	u, err := e.svc.Register(context.Background(), accounts.RegisterInput{
		Username: accounts.Str(name), Password: accounts.Str(svcPassword),
		Email: accounts.Str(name + "@example.test")})
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	return u
}

// svcAnn registers ann.
func svcAnn(t *testing.T, e *svcEnv) *models.User { return e.register(t, "ann") }

// svcInactiveAnn registers ann and has staff deactivate her.
func svcInactiveAnn(t *testing.T, e *svcEnv) *models.User {
	u := e.register(t, "ann")
	e.deactivate(t, u.ID)
	return u
}

// svcSession is a signed-in session: its principal (as its access token
// authenticates), its tokens and the device cookie the login gave.
type svcSession struct {
	p      *accounts.Principal
	pair   accounts.Pair
	cookie accounts.DeviceCookie
}

// login opens a session of name with svcPassword.
func (e *svcEnv) login(t *testing.T, name string) svcSession {
	t.Helper()
	pair, cookie, err := e.svc.Login(context.Background(), name, svcPassword, accounts.Meta{UserAgent: "svc-test"})
	if err != nil {
		t.Fatalf("login %s: %v", name, err)
	}
	p, err := e.svc.Authenticate(context.Background(), pair.Access)
	if err != nil {
		t.Fatalf("authenticate %s: %v", name, err)
	}
	return svcSession{p: p, pair: pair, cookie: cookie}
}

// auth authenticates s's access token again and checks the answer.
func (e *svcEnv) auth(t *testing.T, s svcSession, want *apierr.Error) {
	t.Helper()
	_, err := e.svc.Authenticate(context.Background(), s.pair.Access)
	svcCheck(t, err, want)
}

// failLogins makes n logins of name with a wrong password, each of which
// must fail as a wrong password (not be refused by the budget).
func (e *svcEnv) failLogins(t *testing.T, ctx context.Context, name string, n int) {
	t.Helper()
	for i := range n {
		_, _, err := e.svc.Login(ctx, name, "wrong-"+svcPassword, accounts.Meta{})
		if got, _ := apierr.As(err); got != apierr.NoActiveAccount {
			t.Fatalf("wrong password %d for %s: %v, want %v", i+1, name, err, apierr.NoActiveAccount)
		}
	}
}

// svcStaff is a staff principal that is no user of the store, for admin calls.
func svcStaff() *accounts.Principal {
	return &accounts.Principal{User: models.User{ID: 1 << 40, IsStaff: true, IsActive: true}}
}

// svcOutbox runs each message's preparation at once, on the caller's
// goroutine (the mail queue's worker does it later), and keeps the result.
type svcOutbox struct {
	mu   sync.Mutex
	sent []mail.Message
	errs []error
}

func (o *svcOutbox) Submit(kind string, build mail.Build) bool {
	m, ok, err := build(context.Background())
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		o.errs = append(o.errs, fmt.Errorf("%s: %w", kind, err))
	}
	if ok {
		o.sent = append(o.sent, m)
	}
	return true
}

var svcTokenRE = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// tokens returns the reset tokens of the links sent so far, in order.
func (o *svcOutbox) tokens(t *testing.T) []string {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.errs) > 0 {
		t.Fatalf("preparing a message failed: %v", o.errs)
	}
	var out []string
	for _, m := range o.sent {
		sub := svcTokenRE.FindStringSubmatch(m.Text)
		if sub == nil {
			t.Fatalf("no reset link in %q", m.Text)
		}
		out = append(out, sub[1])
	}
	return out
}

// deactivate has staff deactivate user id.
func (e *svcEnv) deactivate(t *testing.T, id int64) {
	t.Helper()
	off := false
	if _, err := e.svc.AdminUpdate(context.Background(), svcStaff(), id, accounts.AdminInput{IsActive: &off}); err != nil {
		t.Fatalf("deactivate user %d: %v", id, err)
	}
}

// changePassword changes p's password from svcPassword to svcNewPass.
func (e *svcEnv) changePassword(t *testing.T, p *accounts.Principal) {
	t.Helper()
	err := e.svc.ChangePassword(context.Background(), p, accounts.ChangePasswordInput{
		OldPassword: accounts.Str(svcPassword), NewPassword: accounts.Str(svcNewPass)})
	if err != nil {
		t.Fatalf("change password: %v", err)
	}
}

// key logs name in for an API key of lifetime ttl (0: the default) and
// returns it with the principal it authenticates.
func (e *svcEnv) key(t *testing.T, name string, ttl time.Duration) (string, *accounts.Principal) {
	t.Helper()
	ctx := context.Background()
	key, _, err := e.svc.KeyLogin(ctx, name, svcPassword, ttl, accounts.FlowKey, accounts.Meta{})
	if err != nil {
		t.Fatalf("key login %s: %v", name, err)
	}
	p, err := e.svc.AuthenticateKey(ctx, key)
	if err != nil {
		t.Fatalf("authenticate key of %s: %v", name, err)
	}
	return key, p
}

// svcPeople is ann signed in twice (first a minute before second) and bob
// once, with an API key of ann's.
type svcPeople struct {
	first, second, bob svcSession
	annKey             string
}

// svcSignIn makes the svcPeople.
func svcSignIn(t *testing.T, e *svcEnv) svcPeople {
	t.Helper()
	e.register(t, "ann")
	e.register(t, "bob")
	var s svcPeople
	s.first = e.login(t, "ann")
	e.clock.Advance(time.Minute)
	s.second, s.bob = e.login(t, "ann"), e.login(t, "bob")
	s.annKey, _ = e.key(t, "ann", 0)
	return s
}

// svcChecked registers and signs in ann, then returns her as a login reads
// her once her password matched; change (if set) happens after that check,
// before the test opens the session or issues the key.
func svcChecked(change func(t *testing.T, e *svcEnv, s svcSession)) func(*testing.T, *svcEnv) *models.User {
	return func(t *testing.T, e *svcEnv) *models.User {
		e.register(t, "ann")
		s := e.login(t, "ann")
		u, err := e.svc.Credentials(context.Background(), "ann", svcPassword)
		if err != nil {
			t.Fatal(err)
		}
		if change != nil {
			change(t, e, s)
		}
		return u
	}
}

// svcPasswordIs checks which of svcPassword and svcNewPass is ann's (the
// other one costs a unit of her failure budget).
func svcPasswordIs(t *testing.T, e *svcEnv, want string) {
	t.Helper()
	for _, pw := range []string{svcPassword, svcNewPass} {
		_, err := e.svc.Credentials(context.Background(), "ann", pw)
		if (err == nil) != (pw == want) {
			t.Fatalf("credentials with %q: %v; want only %q to log in", pw, err, want)
		}
	}
}
