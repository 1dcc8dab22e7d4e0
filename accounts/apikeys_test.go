package accounts_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"authsvc/accounts"
	"authsvc/apierr"
	"authsvc/models"
)

// svcKeyed is ann signed in with an API key of lifetime ttl (0: the
// configured default); then (if set) runs after.
func svcKeyed(ttl time.Duration, then func(t *testing.T, e *svcEnv, s svcSession)) func(*testing.T, *svcEnv) string {
	return func(t *testing.T, e *svcEnv) string {
		e.register(t, "ann")
		s := e.login(t, "ann")
		key, _ := e.key(t, "ann", ttl)
		if then != nil {
			then(t, e, s)
		}
		return key
	}
}

func svcAuthKey(_ *testing.T, e *svcEnv, key string) error {
	_, err := e.svc.AuthenticateKey(context.Background(), key)
	return err
}

// An API key works until its lifetime (asked for, or the configured
// default) ends on the service's clock, or for good without either; it
// ends with logout everywhere, a password change elsewhere, its user's
// deactivation or its own revocation.
func TestSvcAPIKeyExpiry(t *testing.T) {
	t.Parallel()
	logoutAll := func(t *testing.T, e *svcEnv, s svcSession) {
		svcCheck(t, e.svc.LogoutAll(context.Background(), s.p), nil)
	}
	changed := func(t *testing.T, e *svcEnv, s svcSession) { e.changePassword(t, s.p) }
	deactivated := func(t *testing.T, e *svcEnv, s svcSession) { e.deactivate(t, s.p.User.ID) }
	revoke := func(t *testing.T, e *svcEnv, key string) error {
		p, err := e.svc.AuthenticateKey(context.Background(), key)
		svcCheck(t, err, nil)
		svcCheck(t, e.svc.RevokeKey(context.Background(), p), nil)
		return svcAuthKey(t, e, key)
	}
	tooLong := func(t *testing.T, e *svcEnv, key string) error { return svcAuthKey(t, e, strings.Repeat(key, 4)) }
	gone := apierr.InvalidKey
	const year = 365 * 24 * time.Hour
	svcRun(t, []svcRow[string]{
		{name: "default lifetime, fresh", setup: svcKeyed(0, nil), call: svcAuthKey},
		{name: "default lifetime, just before it ends", setup: svcKeyed(0, nil), advance: svcAPIKeyTTL - time.Microsecond,
			call: svcAuthKey},
		{name: "default lifetime, as it ends", setup: svcKeyed(0, nil), advance: svcAPIKeyTTL, call: svcAuthKey, want: gone},
		{name: "an hour asked, just before", setup: svcKeyed(time.Hour, nil), advance: time.Hour - time.Microsecond,
			call: svcAuthKey},
		{name: "an hour asked, as it ends", setup: svcKeyed(time.Hour, nil), advance: time.Hour, call: svcAuthKey, want: gone},
		{name: "no lifetime configured, years later", opts: []svcOption{svcKeyTTL(0)}, setup: svcKeyed(0, nil),
			advance: 5 * year, call: svcAuthKey},
		{name: "after logout everywhere", setup: svcKeyed(0, logoutAll), call: svcAuthKey, want: gone},
		{name: "after a password change in a session", setup: svcKeyed(0, changed), call: svcAuthKey, want: gone},
		{name: "user deactivated", setup: svcKeyed(0, deactivated), call: svcAuthKey, want: gone},
		{name: "revoked by itself", setup: svcKeyed(0, nil), call: revoke, want: gone},
		{name: "too long to be a key", setup: svcKeyed(0, nil), call: tooLong, want: gone},
	})
}

// A key login has one answer for a wrong password, an unknown name and an
// inactive user; a key is issued only at the credential version the
// password was checked at.
func TestSvcKeyLogin(t *testing.T) {
	t.Parallel()
	keyLogin := func(name, password string) func(*testing.T, *svcEnv, *models.User) error {
		return func(_ *testing.T, e *svcEnv, _ *models.User) error {
			_, _, err := e.svc.KeyLogin(context.Background(), name, password, 0, accounts.FlowKey, accounts.Meta{})
			return err
		}
	}
	issue := func(_ *testing.T, e *svcEnv, u *models.User) error {
		_, err := e.svc.IssueKey(context.Background(), u, 0)
		return err
	}
	changePassword := func(t *testing.T, e *svcEnv, s svcSession) { e.changePassword(t, s.p) }
	bad := apierr.BadKeyCredentials
	svcRun(t, []svcRow[*models.User]{
		{name: "right password", setup: svcAnn, call: keyLogin("ann", svcPassword)},
		{name: "wrong password", setup: svcAnn, call: keyLogin("ann", svcNewPass), want: bad},
		{name: "unknown name", setup: svcAnn, call: keyLogin("bob", svcPassword), want: bad},
		{name: "inactive user", setup: svcInactiveAnn, call: keyLogin("ann", svcPassword), want: bad},
		{name: "checked, nothing changed since", setup: svcChecked(nil), call: issue},
		{name: "checked, then the password changed", setup: svcChecked(changePassword), call: issue,
			want: apierr.NoActiveAccount},
	})
}

// svcKeys is ann with a key for an hour and one for the default lifetime,
// and bob with one.
type svcKeys struct {
	ann, bob    *accounts.Principal
	short, long string // ids of ann's keys
}

func svcTwoKeys(t *testing.T, e *svcEnv) svcKeys {
	e.register(t, "ann")
	e.register(t, "bob")
	var s svcKeys
	_, short := e.key(t, "ann", time.Hour)
	e.clock.Advance(time.Minute) // so that the list's order is newest first
	_, s.ann = e.key(t, "ann", 0)
	_, s.bob = e.key(t, "bob", 0)
	s.short, s.long = short.APIKeyID, s.ann.APIKeyID
	return s
}

// svcKeysListed lists ann's keys and checks their ids, newest first.
func svcKeysListed(ids func(svcKeys) []string) func(*testing.T, *svcEnv, svcKeys) error {
	return func(t *testing.T, e *svcEnv, s svcKeys) error {
		list, total, err := e.svc.Keys(context.Background(), s.ann, 0, 10)
		if err != nil {
			return err
		}
		var got []string
		for _, k := range list {
			got = append(got, k.ID)
		}
		if want := ids(s); total != int64(len(want)) || !slices.Equal(got, want) {
			t.Fatalf("keys %v (total %d), want %v", got, total, want)
		}
		return nil
	}
}

// The key list holds the user's keys that still work; a user deletes a key
// of their own, and any other id, another user's included, is 404.
func TestSvcKeyList(t *testing.T) {
	t.Parallel()
	remove := func(id func(svcKeys) string) func(*testing.T, *svcEnv, svcKeys) error {
		return func(t *testing.T, e *svcEnv, s svcKeys) error {
			return e.svc.DeleteKey(context.Background(), s.ann, id(s))
		}
	}
	listed := func(ids func(svcKeys) []string) func(*testing.T, *svcEnv, svcKeys) {
		return func(t *testing.T, e *svcEnv, s svcKeys) { svcCheck(t, svcKeysListed(ids)(t, e, s), nil) }
	}
	both := func(s svcKeys) []string { return []string{s.long, s.short} }
	long := func(s svcKeys) []string { return []string{s.long} }
	svcRun(t, []svcRow[svcKeys]{
		{name: "both live", setup: svcTwoKeys, call: svcKeysListed(both)},
		{name: "the hour's key expired", setup: svcTwoKeys, advance: time.Hour, call: svcKeysListed(long)},
		{name: "both expired", setup: svcTwoKeys, advance: svcAPIKeyTTL, call: svcKeysListed(func(svcKeys) []string { return nil })},
		{name: "delete own", setup: svcTwoKeys, call: remove(func(s svcKeys) string { return s.short }), check: listed(long)},
		{name: "delete another user's", setup: svcTwoKeys, call: remove(func(s svcKeys) string { return s.bob.APIKeyID }),
			want: apierr.NotFound, check: listed(both)},
		{name: "delete an unknown id", setup: svcTwoKeys, call: remove(func(svcKeys) string { return "no-such-key" }),
			want: apierr.NotFound, check: listed(both)},
	})
}

// expires_in is a whole number of seconds from 1 up to AUTH_API_KEY_TTL, or
// up to ten years when that is not set.
func TestSvcKeyTTL(t *testing.T) {
	t.Parallel()
	const tenYears = int64(10 * 365 * 24 * 60 * 60)
	day := int64(svcAPIKeyTTL / time.Second)
	tests := []struct {
		name       string
		configured time.Duration
		seconds    int64
		wantErr    bool
	}{
		{"one second", svcAPIKeyTTL, 1, false},
		{"the configured lifetime", svcAPIKeyTTL, day, false},
		{"a second over it", svcAPIKeyTTL, day + 1, true},
		{"zero", svcAPIKeyTTL, 0, true},
		{"negative", svcAPIKeyTTL, -60, true},
		{"ten years, none configured", 0, tenYears, false},
		{"over ten years, none configured", 0, tenYears + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := accounts.New(accounts.Options{APIKeyTTL: tt.configured})
			got, err := svc.KeyTTL(tt.seconds)
			if tt.wantErr {
				svcCheck(t, err, svcInvalid("expires_in"))
				return
			}
			if svcCheck(t, err, nil); got != time.Duration(tt.seconds)*time.Second {
				t.Fatalf("KeyTTL(%d) = %v", tt.seconds, got)
			}
		})
	}
}
