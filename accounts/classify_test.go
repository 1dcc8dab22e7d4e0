package accounts

import (
	"testing"
	"time"

	"authsvc/models"
)

// TestClassify pins the rotation rules on their own, with the clock as an
// argument: what each presented generation means against a session's state.
func TestClassify(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const grace = 10 * time.Second
	live := func(gen int64) models.RefreshState {
		return models.RefreshState{Found: true, UserID: 7, Generation: gen, IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	}
	revoked, legacy := live(3), live(0)
	revoked.Revoked = true
	cases := []struct {
		name string
		p    presented
		st   models.RefreshState
		now  time.Time
		want standing
	}{
		{"current", presented{userID: 7, gen: 3}, live(3), t0, current},
		{"previous inside grace", presented{userID: 7, gen: 2}, live(3), t0.Add(grace), previous},
		{"previous after grace", presented{userID: 7, gen: 2}, live(3), t0.Add(grace + time.Second), replayed},
		{"older inside grace", presented{userID: 7, gen: 1}, live(3), t0, replayed},
		{"future generation", presented{userID: 7, gen: 4}, live(3), t0, invalid},
		{"another user's session", presented{userID: 8, gen: 3}, live(3), t0, invalid},
		{"unknown session", presented{userID: 7, gen: 3}, models.RefreshState{}, t0, invalid},
		{"revoked", presented{userID: 7, gen: 3}, revoked, t0, ended},
		{"expired", presented{userID: 7, gen: 3}, live(3), t0.Add(time.Hour), ended},
		{"legacy live row", presented{userID: 7, gen: 0}, legacy, t0, current},
		{"legacy live row after its first rotation", presented{userID: 7, gen: 0}, live(1), t0.Add(time.Second), previous},
		{"legacy retired inside grace", presented{userID: 7, gen: legacyRetired, retiredAt: t0}, legacy, t0.Add(grace), previousLegacy},
		{"legacy retired after grace", presented{userID: 7, gen: legacyRetired, retiredAt: t0}, legacy, t0.Add(grace + time.Second), replayed},
		{"legacy token that opened generation 1, inside grace", presented{userID: 7, gen: legacyRetired, retiredAt: t0}, live(1), t0.Add(grace), previous},
		{"legacy token that opened generation 1, after grace", presented{userID: 7, gen: legacyRetired, retiredAt: t0}, live(1), t0.Add(grace + time.Second), replayed},
		{"legacy retired before the session's first rotation", presented{userID: 7, gen: legacyRetired, retiredAt: t0.Add(-time.Second)}, live(1), t0, replayed},
		{"legacy retired, session rotated twice since", presented{userID: 7, gen: legacyRetired, retiredAt: t0}, live(2), t0, replayed},
	}
	for _, c := range cases {
		if got := classify(c.p, &c.st, c.now, grace); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// No grace (AUTH_REFRESH_REUSE_GRACE=0s): a twin a moment later, even in
	// the same second as the rotation, is a replay.
	st := live(3)
	if got := classify(presented{userID: 7, gen: 2}, &st, t0.Add(300*time.Millisecond), 0); got != replayed {
		t.Errorf("previous generation with no grace: %v, want replayed", got)
	}
}

// TestGenerationJTI: the jti names its generation, and nothing else parses
// as one.
func TestGenerationJTI(t *testing.T) {
	t.Parallel()
	s := &Service{o: Options{Secret: []byte("k")}}
	for _, gen := range []int64{1, 2, 1 << 40} {
		jti := s.generationJTI("sid", gen)
		if got, ok, bad := jtiGeneration(jti); !ok || bad || got != gen {
			t.Errorf("generation %d: jti %q reads %d %v %v", gen, jti, got, ok, bad)
		}
		if s.generationJTI("sid2", gen) == jti {
			t.Errorf("generation %d: two sessions share a jti", gen)
		}
	}
	for _, jti := range []string{"x.0", "x.-1", "x.", "x.1e3", "x.99999999999999999999"} {
		if _, ok, bad := jtiGeneration(jti); !ok || !bad {
			t.Errorf("%q: ok %v bad %v, want malformed", jti, ok, bad)
		}
	}
	if _, ok, _ := jtiGeneration("7PnYtj1sxQKh0KLzqSTJpQ"); ok {
		t.Error("a legacy jti read as a generation")
	}
}
