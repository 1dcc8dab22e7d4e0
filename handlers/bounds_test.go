package handlers_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"authsvc/internal/testserver"
	"authsvc/models"
)

const pathKeys = "/api/auth/keys/"

// TestSessionCapEndsOldest: with at most 3 sessions per user, the fourth and
// fifth logins end the two oldest sessions at once (their access and refresh
// tokens stop working), and the newest three stay live.
func TestSessionCapEndsOldest(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_MAX_SESSIONS_PER_USER": "3"}})
	pairs := make([]testserver.Pair, 5)
	pairs[0], _ = s.NewUser("capped")
	for i := 1; i < len(pairs); i++ {
		// A second apart, so "oldest" is not decided by a tie.
		s.Clock.Advance(time.Second)
		pairs[i] = s.Login("capped", "correct-Horse-battery-9")
	}
	for i, p := range pairs {
		if i < 2 {
			wantTokenInvalid(t, profile(s, p.Access))
			wantTokenInvalid(t, refresh(s, p.Refresh))
			continue
		}
		wantStatus(t, profile(s, p.Access), http.StatusOK)
	}
	if got := len(sessionsOf(t, s, pairs[4].Access)); got != 3 {
		t.Fatalf("%d live sessions, want 3", got)
	}
}

// TestSessionCapConcurrentLogins: logins racing each other cannot leave the
// user with more live sessions than the cap (the cap is enforced in the
// session insert's own transaction, under a lock on the user).
func TestSessionCapConcurrentLogins(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_MAX_SESSIONS_PER_USER": "3"}})
	_, pw := s.NewUser("racer")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { s.Login("racer", pw) })
	}
	wg.Wait()
	n, err := s.App.Store.CountLiveSessions(context.Background(), s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("%d live sessions after 9 logins, want 3", n)
	}
}

// TestAPIKeyCapRefuses: over the per-user cap, creating a key is refused
// with 409 and a message saying how to make room; existing keys keep working
// (a script depending on one is not cut off by someone else's login).
func TestAPIKeyCapRefuses(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_MAX_API_KEYS_PER_USER": "2"}})
	_, pw := s.NewUser("keyholder")
	k1 := obtainKey(t, s, "keyholder", pw)
	obtainKey(t, s, "keyholder", pw)
	for _, path := range []string{tokenAuthPath, "/api/accounts/login/"} {
		r := s.Post(path, map[string]string{"username": "keyholder", "password": pw})
		m := wantError(t, r, http.StatusConflict, "api_key_limit")
		if d, _ := m["detail"].(string); d == "" {
			t.Fatalf("no detail in %s", r.Body)
		}
	}
	wantStatus(t, getWithKey(s, profilePath, k1), http.StatusOK)
	// Deleting one makes room.
	keys := listKeys(t, s, testserver.Request{Token: k1})
	wantStatus(t, s.Do(testserver.Request{Method: http.MethodDelete, Path: pathKeys + keys[0]["id"].(string) + "/", Token: k1}), http.StatusNoContent)
	obtainKey(t, s, "keyholder", pw)
}

func listKeys(t *testing.T, s *testserver.Server, auth testserver.Request) []map[string]any {
	t.Helper()
	auth.Method, auth.Path = http.MethodGet, pathKeys
	r := s.Do(auth)
	wantStatus(t, r, http.StatusOK)
	return resultsOf(t, r)
}

// TestAPIKeyListAndDelete: a user sees their keys (never the key or its
// hash), learns which one the request used, and can end any of them; another
// user's key id answers 404 like an unknown one.
func TestAPIKeyListAndDelete(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pair, pw := s.NewUser("lister")
	k1 := obtainKey(t, s, "lister", pw)
	s.Clock.Advance(time.Second)
	k2 := obtainKey(t, s, "lister", pw)
	_, opw := s.NewUser("other")
	ok := obtainKey(t, s, "other", opw)

	viaKey := listKeys(t, s, testserver.Request{Token: k2})
	viaBearer := listKeys(t, s, testserver.Request{Bearer: pair.Access})
	if len(viaKey) != 2 || len(viaBearer) != 2 {
		t.Fatalf("listed %d and %d keys, want 2", len(viaKey), len(viaBearer))
	}
	for _, m := range viaKey {
		for _, field := range []string{"key", "token", "key_hash", "hash"} {
			if _, ok := m[field]; ok {
				t.Fatalf("list shows %q: %v", field, m)
			}
		}
		for _, field := range []string{"id", "prefix", "created_at", "last_used_at", "expires_at", "current"} {
			if _, ok := m[field]; !ok {
				t.Fatalf("list lacks %q: %v", field, m)
			}
		}
	}
	// Newest first; the one this request used is current.
	if viaKey[0]["prefix"] != k2[:8] || viaKey[0]["current"] != true || viaKey[1]["prefix"] != k1[:8] || viaKey[1]["current"] != false {
		t.Fatalf("list %v: want k2 (current) then k1 by prefix", viaKey)
	}
	if viaBearer[0]["current"] != false {
		t.Fatalf("a Bearer request used no key, yet %v is current", viaBearer[0])
	}
	otherID := listKeys(t, s, testserver.Request{Token: ok})[0]["id"].(string)

	tests := []struct {
		name, id string
		status   int
	}{
		{"another user's key", otherID, http.StatusNotFound},
		{"unknown id", "0123456789abcdef0123456789abcdef", http.StatusNotFound},
		{"not an id", "%20x", http.StatusNotFound},
		{"own key", viaKey[1]["id"].(string), http.StatusNoContent},
		{"own key again", viaKey[1]["id"].(string), http.StatusNotFound},
	}
	for _, tt := range tests {
		r := s.Do(testserver.Request{Method: http.MethodDelete, Path: pathKeys + tt.id + "/", Bearer: pair.Access})
		if r.Status != tt.status {
			t.Fatalf("%s: status %d, want %d: %s", tt.name, r.Status, tt.status, r.Body)
		}
	}
	wantJSON(t, getWithKey(s, profilePath, k1), http.StatusUnauthorized, bodyInvalidKey)
	wantStatus(t, getWithKey(s, profilePath, ok), http.StatusOK)
	wantStatus(t, getWithKey(s, profilePath, k2), http.StatusOK)
	wantJSON(t, s.Do(testserver.Request{Method: http.MethodGet, Path: pathKeys}), http.StatusUnauthorized, bodyNoAuth)
}

// TestAPIKeyExpiry: a configured lifetime (AUTH_API_KEY_TTL) or a shorter
// expires_in asked for at creation ends a key; an expired key is refused like
// an unknown one and the cleanup job removes it.
func TestAPIKeyExpiry(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_API_KEY_TTL": "1h"}})
	_, pw := s.NewUser("expiring")
	long := obtainKey(t, s, "expiring", pw)
	r := s.Post(tokenAuthPath, map[string]any{"username": "expiring", "password": pw, "expires_in": 60})
	wantStatus(t, r, http.StatusOK)
	short := r.Str(t, "token")
	for _, bad := range []any{0, -5, "soon", 2 * 3600} {
		r := s.Post(tokenAuthPath, map[string]any{"username": "expiring", "password": pw, "expires_in": bad})
		wantField(t, r, "expires_in", "")
	}
	keys := listKeys(t, s, testserver.Request{Token: long})
	if keys[0]["expires_at"] == nil || keys[1]["expires_at"] == nil {
		t.Fatalf("keys without expires_at under AUTH_API_KEY_TTL: %v", keys)
	}

	s.Clock.Advance(61 * time.Second)
	wantJSON(t, getWithKey(s, profilePath, short), http.StatusUnauthorized, bodyInvalidKey)
	wantStatus(t, getWithKey(s, profilePath, long), http.StatusOK)
	s.Clock.Advance(time.Hour)
	wantJSON(t, getWithKey(s, profilePath, long), http.StatusUnauthorized, bodyInvalidKey)

	if _, err := s.App.Cleanup.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	var left int64
	if err := s.App.Store.W.Model(&models.APIKey{}).Count(&left).Error; err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d expired keys left after cleanup", left)
	}
}

// TestAPIKeyNoExpiryByDefault: without AUTH_API_KEY_TTL a key has no
// expiry (expires_at null) unless the request asks for one.
func TestAPIKeyNoExpiryByDefault(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	_, pw := s.NewUser("forever")
	k := obtainKey(t, s, "forever", pw)
	s.Clock.Advance(time.Second)
	r := s.Post("/api/accounts/login/", map[string]any{"username": "forever", "password": pw, "expires_in": 3600})
	wantStatus(t, r, http.StatusOK)
	keys := listKeys(t, s, testserver.Request{Token: k})
	if len(keys) != 2 || keys[1]["expires_at"] != nil || keys[0]["expires_at"] == nil {
		t.Fatalf("keys %v: want the first without expiry, the second with one", keys)
	}
	s.Clock.Advance(24 * 365 * time.Hour)
	wantStatus(t, getWithKey(s, profilePath, k), http.StatusOK)
}
