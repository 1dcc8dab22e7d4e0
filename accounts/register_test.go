package accounts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"authsvc/accounts"
	"authsvc/apierr"
)

// svcRegister is a register call with these fields; an empty string is a
// missing field.
func svcRegister(e *svcEnv, name, password, email, picture string) error {
	_, err := e.svc.Register(context.Background(), accounts.RegisterInput{
		Username: svcField(name), Password: svcField(password), Email: svcField(email), ProfilePicture: svcField(picture)})
	return err
}

// Register reports every field error at once, applies the password policy
// against the name and address, and refuses a name or address taken in any
// case.
func TestSvcRegister(t *testing.T) {
	t.Parallel()
	taken := func(t *testing.T, e *svcEnv) struct{} { e.register(t, "Ann"); return struct{}{} }
	reg := func(name, password, email, picture string) func(*testing.T, *svcEnv, struct{}) error {
		return func(_ *testing.T, e *svcEnv, _ struct{}) error { return svcRegister(e, name, password, email, picture) }
	}
	svcRun(t, []svcRow[struct{}]{
		{name: "valid", call: reg("ann", svcPassword, "ann@example.test", "https://img.example.test/a.png")},
		{name: "name and password only", call: reg("ann", svcPassword, "", "")},
		{name: "username missing", call: reg("", svcPassword, "", ""), want: svcInvalid("username")},
		{name: "username with a space", call: reg("ann smith", svcPassword, "", ""), want: svcInvalid("username")},
		{name: "username too long", call: reg(strings.Repeat("a", 151), svcPassword, "", ""), want: svcInvalid("username")},
		{name: "password missing", call: reg("ann", "", "", ""), want: svcInvalid("password")},
		{name: "password too common", call: reg("ann", "password", "", ""), want: svcInvalid("password")},
		{name: "password like the username", call: reg("margaretha", "margaretha99", "", ""), want: svcInvalid("password")},
		{name: "password like the address", call: reg("bob", "orbitalwidget7", "orbitalwidget@example.test", ""),
			want: svcInvalid("password")},
		{name: "address invalid", call: reg("ann", svcPassword, "ann@", ""), want: svcInvalid("email")},
		{name: "picture not http", call: reg("ann", svcPassword, "", "javascript:alert(1)"), want: svcInvalid("profile_picture")},
		{name: "every error at once", call: reg("", "123", "not-an-address", "/relative.png"),
			want: svcInvalid("username", "password", "email", "profile_picture")},
		{name: "username taken in another case", setup: taken, call: reg("aNN", svcPassword, "", ""),
			want: svcInvalid("username")},
		{name: "address taken in another case", setup: taken, call: reg("bob", svcPassword, "ANN@example.test", ""),
			want: svcInvalid("email")},
	})
}

// A new user joins at the service clock's time, active, with a hash that is
// not the password; the row reads back the same from the store.
func TestSvcRegisterJoinsAtClock(t *testing.T) {
	t.Parallel()
	e := newSvcEnv(t)
	e.clock.Advance(90 * 24 * time.Hour)
	u := e.register(t, "ann")
	want := e.clock.Now().UTC().Truncate(time.Microsecond)
	stored, err := e.store.UserByID(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []time.Time{u.DateJoined, stored.DateJoined} {
		if !got.Equal(want) {
			t.Errorf("date joined %v, want the clock's %v", got, want)
		}
	}
	if !stored.IsActive || stored.PasswordHash == "" || strings.Contains(stored.PasswordHash, svcPassword) {
		t.Errorf("stored user: active %v, hash %q", stored.IsActive, stored.PasswordHash)
	}
	// The new password works at once.
	if _, err := e.svc.Credentials(context.Background(), "ann", svcPassword); err != nil {
		t.Fatalf("credentials of the new user: %v", err)
	}
	if _, err := e.svc.Credentials(context.Background(), "ann", svcNewPass); err != apierr.NoActiveAccount {
		t.Fatalf("wrong password: %v, want %v", err, apierr.NoActiveAccount)
	}
}
