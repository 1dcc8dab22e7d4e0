package signingkeys_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"authsvc/config"
	"authsvc/internal/testserver"
)

func keysCmd(t *testing.T, s *testserver.Server, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code, err := s.App.SigningKeys.Command(context.Background(), args, &out, &errOut)
	if err != nil {
		return code, err.Error()
	}
	return code, out.String() + errOut.String()
}

func reloadKeys(t *testing.T, s *testserver.Server) {
	t.Helper()
	if err := s.App.ReloadKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestRetire covers what takes over when a key is retired: the signing key
// with a pending successor (the successor signs now), the signing key alone
// (a fresh key signs now), a pending key (the signing key stays and is no
// longer scheduled to stop), and an unknown kid (exit 1, nothing changes).
func TestRetire(t *testing.T) {
	t.Parallel()
	type state struct{ s *testserver.Server }
	newServer := func(t *testing.T) *testserver.Server {
		return testserver.New(t, testserver.Options{ManualKeyReload: true, Env: map[string]string{"AUTH_SIGNING_ALG": "ES256"}})
	}
	signer := func(s *testserver.Server) string { reloadKeys(t, s); return s.App.Tokens.Keys().Signing.ID }

	t.Run("signing key with a pending successor", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		old := signer(s)
		key, _, err := s.App.SigningKeys.Rotate(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		if code, out := keysCmd(t, s, "retire", old); code != 0 || !strings.Contains(out, key.ID) {
			t.Fatalf("retire: %d %s", code, out)
		}
		if got := signer(s); got != key.ID {
			t.Fatalf("signs with %s, want the pending %s at once", got, key.ID)
		}
	})
	t.Run("signing key alone", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		p := login(t, s, "alone")
		old := signer(s)
		if code, out := keysCmd(t, s, "retire", old); code != 0 {
			t.Fatalf("retire: %d %s", code, out)
		}
		got := signer(s)
		if got == old || len(s.App.Tokens.Keys().Verifying) != 1 {
			t.Fatalf("signs with %s (old %s), verifies with %d keys", got, old, len(s.App.Tokens.Keys().Verifying))
		}
		if r := profile(s, p.Access); r != http.StatusUnauthorized {
			t.Fatalf("token of the retired key: %d, want 401", r)
		}
		if kid := header(t, s.Login("alone", password).Access)["kid"]; kid != got {
			t.Fatalf("new login signed by %v, want %s", kid, got)
		}
	})
	t.Run("pending key", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		old := signer(s)
		key, _, err := s.App.SigningKeys.Rotate(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		if code, out := keysCmd(t, s, "retire", key.ID); code != 0 || !strings.Contains(out, old) {
			t.Fatalf("retire: %d %s", code, out)
		}
		// Long after the pending key's time, and after the old key's
		// scheduled end, the old key still signs and verifies.
		s.Clock.Advance(48 * time.Hour)
		if got := signer(s); got != old || s.App.Tokens.Keys().Verifying[key.ID] != nil {
			t.Fatalf("signs with %s, want %s; retired pending key still verifies: %v", got, old, s.App.Tokens.Keys().Verifying[key.ID] != nil)
		}
	})
	t.Run("unknown kid", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		old := signer(s)
		if code, out := keysCmd(t, s, "retire", "no-such-kid"); code != 1 || !strings.Contains(out, "no such signing key") {
			t.Fatalf("retire unknown: %d %s", code, out)
		}
		if got := signer(s); got != old {
			t.Fatalf("signer changed to %s", got)
		}
	})
}

// TestRotateNowAndList: "rotate" says when the new key starts signing and
// lists it as pending; "rotate --now" signs at once.
func TestRotateNowAndList(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{ManualKeyReload: true, Env: map[string]string{"AUTH_SIGNING_ALG": "EdDSA"}})
	from := s.Clock.Now().Add(config.DefaultKeyPublishDelay).UTC().Format(time.RFC3339)
	code, out := keysCmd(t, s, "rotate")
	if code != 0 || !strings.Contains(out, "signs from "+from) {
		t.Fatalf("rotate: %d %q, want the signing time %s", code, out, from)
	}
	if _, list := keysCmd(t, s, "list"); !strings.Contains(list, "pending") {
		t.Fatalf("list:\n%s", list)
	}
	code, out = keysCmd(t, s, "rotate", "--now")
	reloadKeys(t, s)
	urgent := s.App.Tokens.Keys().Signing.ID
	if code != 0 || !strings.Contains(out, urgent) {
		t.Fatalf("rotate --now: %d %q; signs with %s", code, out, urgent)
	}
	// The key of the first rotation was overtaken: when its time comes it
	// must not take signing back from the emergency key.
	s.Clock.Advance(config.DefaultKeyPublishDelay + time.Second)
	reloadKeys(t, s)
	if kid := s.App.Tokens.Keys().Signing.ID; kid != urgent {
		t.Fatalf("after the overtaken key's time: signs with %s, want %s", kid, urgent)
	}
	if code, _ := keysCmd(t, s, "rotate", "--later"); code != 2 {
		t.Fatalf("rotate --later: exit %d, want 2 (usage)", code)
	}
}

// TestUnknownKIDFloodReloadsOnce: tokens with made-up kids, sent at once,
// cause one reload of the keys between them (singleflight), and none more
// until a second has passed; each still gets 401.
func TestUnknownKIDFloodReloadsOnce(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{ManualKeyReload: true, Env: map[string]string{"AUTH_SIGNING_ALG": "EdDSA"}})
	p := login(t, s, "flood")
	parts := strings.Split(p.Access, ".")
	forge := func() string {
		b := make([]byte, 16)
		rand.Read(b)
		h := `{"alg":"EdDSA","typ":"JWT","kid":"` + base64.RawURLEncoding.EncodeToString(b) + `"}`
		return base64.RawURLEncoding.EncodeToString([]byte(h)) + "." + parts[1] + "." + parts[2]
	}
	flood := func() {
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				if got := profile(s, forge()); got != http.StatusUnauthorized {
					t.Errorf("made-up kid: %d, want 401", got)
				}
			})
		}
		wg.Wait()
	}
	flood()
	if n := s.App.SigningKeys.UnknownKIDReloads(); n != 1 {
		t.Fatalf("30 made-up kids caused %d reloads, want 1", n)
	}
	flood()
	if n := s.App.SigningKeys.UnknownKIDReloads(); n != 1 {
		t.Fatalf("within the second: %d reloads, want still 1", n)
	}
	s.Clock.Advance(time.Second)
	flood()
	if n := s.App.SigningKeys.UnknownKIDReloads(); n != 2 {
		t.Fatalf("a second later: %d reloads, want 2", n)
	}
	if got := profile(s, p.Access); got != http.StatusOK {
		t.Fatalf("genuine token: %d", got)
	}
}
