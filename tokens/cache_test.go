package tokens

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// The cache may only ever answer as the full check would: each case verifies
// a token once (filling the cache), changes one thing, and verifies again.
func TestVerifiedCacheAnswersAsTheFullCheck(t *testing.T) {
	t.Parallel()
	start := time.Now().UTC().Truncate(time.Second)
	other := NewHMACKey([]byte("another-secret-another-secret-0123456"))
	tests := []struct {
		name     string
		change   func(s *Service, clock *atomic.Int64)
		wantType string
		want     error
	}{
		{"nothing changed", func(*Service, *atomic.Int64) {}, TypeAccess, nil},
		{"other type wanted", func(*Service, *atomic.Int64) {}, TypeRefresh, ErrWrongType},
		{"any type wanted", func(*Service, *atomic.Int64) {}, "", nil},
		{"signing key retired", func(s *Service, _ *atomic.Int64) {
			if err := s.SetKeys(NewKeySet(other)); err != nil {
				t.Fatal(err)
			}
		}, TypeAccess, ErrInvalid},
		{"token expired", func(_ *Service, clock *atomic.Int64) {
			clock.Store(start.Add(31 * time.Minute).UnixNano())
		}, TypeAccess, ErrInvalid},
		{"a second before exp", func(_ *Service, clock *atomic.Int64) {
			clock.Store(start.Add(30*time.Minute - time.Second).UnixNano())
		}, TypeAccess, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var clock atomic.Int64
			clock.Store(start.UnixNano())
			k := NewHMACKey([]byte("unit-test-secret-unit-test-secret-0123"))
			s, err := New(Options{Keys: NewKeySet(k), Now: func() time.Time { return time.Unix(0, clock.Load()) }})
			if err != nil {
				t.Fatal(err)
			}
			raw, err := s.Sign(Spec{Type: TypeAccess, UserID: 7, SessionID: "sid", ID: "jti",
				IssuedAt: start, ExpiresAt: start.Add(30 * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			first, err := s.Verify(raw, TypeAccess)
			if err != nil {
				t.Fatal(err)
			}
			first.UserID = 99 // the caller's copy, not the cache's
			tt.change(s, &clock)
			c, err := s.Verify(raw, tt.wantType)
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("second verify: %v, want %v", err, tt.want)
			}
			if err == nil && c.UserID != 7 {
				t.Fatalf("cached claims changed through a returned copy: user_id %d", c.UserID)
			}
		})
	}
}

// A token is answered from memory the second time, a changed byte never is,
// and failures are not remembered.
func TestVerifiedCacheHitsAndMisses(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Second)
	k := NewHMACKey([]byte("unit-test-secret-unit-test-secret-0123"))
	s, err := New(Options{Keys: NewKeySet(k), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.Sign(Spec{Type: TypeAccess, UserID: 7, SessionID: "sid", ID: "jti",
		IssuedAt: now, ExpiresAt: now.Add(30 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, hit := s.verified.get(raw, s.Keys(), now); hit {
		t.Fatal("hit before the first verify")
	}
	if _, err := s.Verify(raw, TypeAccess); err != nil {
		t.Fatal(err)
	}
	if _, _, hit := s.verified.get(raw, s.Keys(), now); !hit {
		t.Fatal("no hit after a successful verify")
	}
	tampered := raw[:len(raw)-2] + "AA"
	if tampered == raw {
		tampered = raw[:len(raw)-2] + "BB"
	}
	for range 2 {
		if _, err := s.Verify(tampered, TypeAccess); !errors.Is(err, ErrInvalid) {
			t.Fatalf("tampered token: %v", err)
		}
	}
	if _, _, hit := s.verified.get(tampered, s.Keys(), now); hit {
		t.Fatal("a failed token was cached")
	}
	refresh, err := s.Sign(Spec{Type: TypeRefresh, UserID: 7, SessionID: "sid", ID: "jti2",
		IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(refresh, TypeRefresh); err != nil {
		t.Fatal(err)
	}
	if _, _, hit := s.verified.get(refresh, s.Keys(), now); hit {
		t.Fatal("a refresh token (used once, then rotated) was cached")
	}
}

// Memory stays bounded by two generations, and a token in use survives a flip.
func TestVerifiedCacheBounded(t *testing.T) {
	t.Parallel()
	now := time.Now()
	v := newVerified(8)
	keys := NewKeySet(NewHMACKey([]byte("unit-test-secret-unit-test-secret-0123")))
	hot := "hot-token"
	_, sum, _ := v.get(hot, keys, now)
	v.put(sum, &verifiedEntry{keys: keys, until: now.Add(time.Hour)})
	for i := range 100 {
		_, sum, _ := v.get(string(rune('a'+i%26))+time.Duration(i).String(), keys, now)
		v.put(sum, &verifiedEntry{keys: keys, until: now.Add(time.Hour)})
		if _, _, hit := v.get(hot, keys, now); !hit {
			t.Fatalf("hot token lost after %d inserts", i+1)
		}
	}
	if n := len(v.cur) + len(v.prev); n > 16 {
		t.Fatalf("%d entries held, bound is 16", n)
	}
}
