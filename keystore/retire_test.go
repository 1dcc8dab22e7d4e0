package keystore_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"authsvc/config"
	"authsvc/internal/testserver"
	"authsvc/models"
)

func keysCmd(t *testing.T, s *testserver.Server, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code, err := s.App.Keys.Command(context.Background(), args, &out, &errOut)
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
		key, _, err := s.App.Keys.Rotate(context.Background(), false)
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
		key, _, err := s.App.Keys.Rotate(context.Background(), false)
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
	if n := s.App.Keys.UnknownKIDReloads(); n != 1 {
		t.Fatalf("30 made-up kids caused %d reloads, want 1", n)
	}
	flood()
	if n := s.App.Keys.UnknownKIDReloads(); n != 1 {
		t.Fatalf("within the second: %d reloads, want still 1", n)
	}
	s.Clock.Advance(time.Second)
	flood()
	if n := s.App.Keys.UnknownKIDReloads(); n != 2 {
		t.Fatalf("a second later: %d reloads, want 2", n)
	}
	if got := profile(s, p.Access); got != http.StatusOK {
		t.Fatalf("genuine token: %d", got)
	}
}

// TestRetireKeepsSigningChainGapless: after any retire, at every instant from
// now until past the last pending key's signing time exactly one key signs,
// and Load (what a restart and the "authsvc keys" command itself go
// through) succeeds. A is the key at start; each "rotate" publishes the next
// letter with the default publish delay, "rotate!" is "rotate --now", "+Ns"
// moves the injected clock. want is the sequence of signers over that span
// ("new": a key generated by the retire).
func TestRetireKeepsSigningChainGapless(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		steps []string
		want  []string
	}{
		{"signing key alone", []string{"retire A"}, []string{"new"}},
		{"signing key with one pending", []string{"rotate", "+2s", "retire A"}, []string{"B"}},
		// The earliest pending key takes over now; the later one keeps its time.
		{"signing key with two pending", []string{"rotate", "+2s", "rotate", "+1s", "retire A"}, []string{"B", "C"}},
		// The review's case: A was retiring at B's time; C signs only later.
		{"middle pending key", []string{"rotate", "+2s", "rotate", "+1s", "retire B"}, []string{"A", "C"}},
		{"last pending key", []string{"rotate", "+2s", "rotate", "+1s", "retire C"}, []string{"A", "B"}},
		{"only pending key", []string{"rotate", "+2s", "retire B"}, []string{"A"}},
		{"verify-only key", []string{"rotate", "+6s", "retire A"}, []string{"B"}},
		{"verify-only key with one pending", []string{"rotate", "+6s", "rotate", "+1s", "retire A"}, []string{"B", "C"}},
		{"middle of three pending", []string{"rotate", "+1s", "rotate", "+1s", "rotate", "+1s", "retire C"}, []string{"A", "B", "D"}},
		// B was overtaken by the emergency key C: it never signs, retired or not.
		{"overtaken pending key", []string{"rotate", "+1s", "rotate!", "+1s", "retire B"}, []string{"C"}},
		{"signing key that overtook a pending one", []string{"rotate", "+1s", "rotate!", "+1s", "retire C"}, []string{"new"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t, testserver.Options{ManualKeyReload: true, Env: map[string]string{"AUTH_SIGNING_ALG": "EdDSA"}})
			ctx := context.Background()
			label := map[string]string{"A": s.App.Tokens.Keys().Signing.ID} // letter -> kid
			name := map[string]string{label["A"]: "A"}                      // kid -> letter
			retired := ""
			for _, step := range tc.steps {
				switch {
				case step == "rotate" || step == "rotate!":
					key, _, err := s.App.Keys.Rotate(ctx, step == "rotate!")
					if err != nil {
						t.Fatal(err)
					}
					l := string(rune('A' + len(label)))
					label[l], name[key.ID] = key.ID, l
				case strings.HasPrefix(step, "+"):
					d, err := time.ParseDuration(step[1:])
					if err != nil {
						t.Fatal(err)
					}
					s.Clock.Advance(d)
				case strings.HasPrefix(step, "retire "):
					retired = label[strings.TrimPrefix(step, "retire ")]
					if code, out := keysCmd(t, s, "retire", retired); code != 0 {
						t.Fatalf("%s: %d %s", step, code, out)
					}
				}
			}
			rows, err := s.App.Store.SigningKeys(ctx, "EdDSA", s.Clock.Now(), true)
			if err != nil {
				t.Fatal(err)
			}
			horizon := s.Clock.Now()
			for _, r := range rows {
				horizon = later(horizon, r.SignsFrom())
				if r.RetiredAt != nil {
					horizon = later(horizon, *r.RetiredAt)
				}
			}
			horizon = horizon.Add(2 * time.Second)
			// Signing times are whole seconds, so which key signs changes
			// only on whole seconds: now and every whole second after it
			// cover every instant up to the horizon.
			var got []string
			start := s.Clock.Now()
			for at := start; !at.After(horizon); at = at.Truncate(time.Second).Add(time.Second) {
				s.Clock.Advance(at.Sub(s.Clock.Now()))
				rows, err := s.App.Store.SigningKeys(ctx, "EdDSA", at, false)
				if err != nil {
					t.Fatal(err)
				}
				var signers []string
				for _, r := range rows {
					if r.SignsAt(at) {
						signers = append(signers, r.KID)
					}
				}
				if len(signers) != 1 {
					t.Fatalf("%s after the retire %d keys sign %v, want exactly one; keys:\n%s",
						at.Sub(start).Round(time.Millisecond), len(signers), signers, dump(rows, name))
				}
				ks, _, err := s.App.Keys.Load(ctx)
				if err != nil {
					t.Fatalf("%s after the retire: Load: %v", at.Sub(start).Round(time.Millisecond), err)
				}
				if ks.Signing.ID != signers[0] {
					t.Fatalf("at %s: Load signs with %s, the table says %s", at.Format(time.RFC3339Nano), ks.Signing.ID, signers[0])
				}
				if ks.Verifying[retired] != nil || ks.Signing.ID == retired {
					t.Fatalf("at %s: the retired key %s still verifies", at.Format(time.RFC3339Nano), retired)
				}
				l := name[signers[0]]
				if l == "" {
					l = "new"
				}
				if len(got) == 0 || got[len(got)-1] != l {
					got = append(got, l)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("signers over time %v, want %v", got, tc.want)
			}
		})
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// dump shows the key rows for a failure message.
func dump(rows []models.SigningKey, name map[string]string) string {
	var b strings.Builder
	ts := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.Format(time.RFC3339)
	}
	for _, r := range rows {
		nb := r.SignsFrom()
		fmt.Fprintf(&b, "  %s signs %s..%s verifies until %s\n", cmp.Or(name[r.KID], r.KID), ts(&nb), ts(r.RetiredAt), ts(r.NotAfter))
	}
	return b.String()
}
