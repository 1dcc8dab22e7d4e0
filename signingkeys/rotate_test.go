package signingkeys_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"authsvc/config"
	"authsvc/internal/testserver"
)

// TestRotation: a token signed by the rotated-out key keeps verifying until
// it expires; the old key stays in the JWKS until the last token it signed
// (a refresh token, 24 h) has expired, then drops out.
func TestRotation(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_SIGNING_ALG": "RS256"}})
	ctx := context.Background()
	old := login(t, s, "carol")
	oldKid := header(t, old.Access)["kid"].(string)
	if got := kids(jwks(t, s)); len(got) != 1 || got[0] != oldKid {
		t.Fatalf("JWKS before rotation %v, want [%s]", got, oldKid)
	}

	var out, errOut bytes.Buffer
	if code, err := s.App.SigningKeys.Command(ctx, []string{"rotate"}, &out, &errOut); code != 0 || err != nil {
		t.Fatalf("signing-keys rotate: %d %v %s", code, err, errOut.String())
	}
	if err := s.App.ReloadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	// Published first: in the JWKS at once, but the old key still signs
	// until the publish delay has passed.
	if got := kids(jwks(t, s)); len(got) != 2 || got[0] != oldKid {
		t.Fatalf("JWKS while the new key is pending %v, want [%s, new]", got, oldKid)
	}
	if kid := header(t, s.Login("carol", password).Access)["kid"]; kid != oldKid {
		t.Fatalf("pending key signs already: kid %v", kid)
	}
	s.Clock.Advance(config.DefaultKeyPublishDelay)
	if err := s.App.ReloadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := s.Login("carol", password)
	newKid := header(t, fresh.Access)["kid"].(string)
	if newKid == oldKid || !strings.Contains(out.String(), newKid) {
		t.Fatalf("after rotation kid %s (old %s), rotate said %q", newKid, oldKid, out.String())
	}
	if got := kids(jwks(t, s)); len(got) != 2 || got[0] != newKid || got[1] != oldKid {
		t.Fatalf("JWKS after rotation %v, want [%s %s]", got, newKid, oldKid)
	}
	if got := profile(s, old.Access); got != http.StatusOK {
		t.Fatalf("old-key access token before expiry: %d, want 200", got)
	}
	out.Reset()
	if code, err := s.App.SigningKeys.Command(ctx, []string{"list"}, &out, &errOut); code != 0 || err != nil ||
		!strings.Contains(out.String(), newKid+"  RS256  current") || !strings.Contains(out.String(), oldKid+"  RS256  retired") {
		t.Fatalf("signing-keys list: %d %v\n%s", code, err, out.String())
	}

	s.Clock.Advance(31 * time.Minute) // past the 30 min access TTL
	if got := profile(s, old.Access); got != http.StatusUnauthorized {
		t.Fatalf("old-key access token after expiry: %d, want 401", got)
	}
	s.Clock.Advance(24 * time.Hour) // past the refresh TTL: no old-key token can be valid
	if err := s.App.ReloadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if got := kids(jwks(t, s)); len(got) != 1 || got[0] != newKid {
		t.Fatalf("JWKS after the old key's last token expired %v, want [%s]", got, newKid)
	}
	r := s.Post("/api/auth/token/verify/", map[string]string{"token": old.Refresh})
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("old-key refresh token after its key expired: %d, want 401", r.Status)
	}
}

// TestRotationReachesOtherInstance: two instances on one database; a
// rotation made through one is published by the other at its key poller's
// next poll, with no restart, and once its signing time has come the other
// signs with it and the first accepts that. The test waits for B's poller to
// finish a poll begun after the rotation (a hook, not the wall clock), so a
// busy machine makes it slower, never red.
func TestRotationReachesOtherInstance(t *testing.T) {
	t.Parallel()
	dir, clock := t.TempDir(), testserver.NewClock()
	env := map[string]string{"AUTH_SIGNING_ALG": "ES256"}
	a := testserver.New(t, testserver.Options{Dir: dir, Clock: clock, Env: env})
	b := testserver.New(t, testserver.Options{Dir: dir, Clock: clock, Env: env})
	if ka, kb := kids(jwks(t, a)), kids(jwks(t, b)); len(ka) != 1 || len(kb) != 1 || ka[0] != kb[0] {
		t.Fatalf("instances start with different keys: %v %v", ka, kb)
	}
	key, _, err := a.App.SigningKeys.Rotate(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	b.AwaitKeyPolls(t, 1)
	if got := kids(jwks(t, b)); !slices.Contains(got, key.ID) {
		t.Fatalf("B publishes %v after a poll that began after the rotation to %s", got, key.ID)
	}
	// The signing time: B switches at its next poll; here, explicitly.
	clock.Advance(config.DefaultKeyPublishDelay)
	if err := b.App.ReloadKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := login(t, b, "erin")
	if kid := header(t, p.Access)["kid"]; kid != key.ID {
		t.Fatalf("B signs with %v, want the rotated-in %s", kid, key.ID)
	}
	if got := profile(a, p.Access); got != http.StatusOK {
		t.Fatalf("A rejects B's token: %d", got)
	}
}
