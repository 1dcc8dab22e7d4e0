package handlers_test

import (
	"fmt"
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

// A request the throttle refuses, or one that does not count, must leave no
// key in Redis: otherwise a flood of random usernames fills an LRU-bounded
// Redis with dead counters and pushes the live ones out. The per-IP limit is
// checked first, so a request it refuses never creates a per-username key.
func TestThrottleRefusedRequestsWriteNoRedisKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s *testserver.Server)
		// maxKeys is the most keys the run may leave.
		maxKeys int
	}{
		{"300 random usernames from one address", func(t *testing.T, s *testserver.Server) {
			for i := 0; i < 300; i++ {
				r := loginAttempt{user: fmt.Sprintf("random-%03d", i), pw: "wrong"}.send(s)
				if want := http.StatusUnauthorized; i >= 10 {
					want = http.StatusTooManyRequests
					if r.Status != want {
						t.Fatalf("attempt %d: %d", i, r.Status)
					}
				} else if r.Status != want {
					t.Fatalf("attempt %d: %d", i, r.Status)
				}
			}
		}, 1 + 10}, // the address, and the ten names that really failed
		{"successful logins", func(t *testing.T, s *testserver.Server) {
			_, pw := s.NewUser("happy")
			for i := 0; i < 20; i++ {
				s.Login("happy", pw)
			}
		}, 1}, // the registration, which counts whatever its outcome
		{"a locked-out user keeps being tried", func(t *testing.T, s *testserver.Server) {
			s.NewUser("locked")
			for i := 0; i < 5; i++ {
				loginAttempt{user: "locked", pw: "wrong"}.send(s)
			}
			// From many addresses (a trusted proxy forwards them): each
			// refused attempt must not create a key for its address.
			for i := 0; i < 50; i++ {
				r := loginAttempt{user: "locked", pw: "wrong", xff: fmt.Sprintf("198.51.100.%d", i+1)}.send(s)
				if r.Status != http.StatusTooManyRequests {
					t.Fatalf("attempt %d: %d", i, r.Status)
				}
			}
		}, 3}, // the registration, the address of the first five failures, the account
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client, prefix := testserver.Redis(t)
			s := testserver.New(t, testserver.Options{Clock: alignedClock(), Env: throttled(map[string]string{
				"AUTH_REDIS_URL": testserver.RedisURL, "AUTH_REDIS_PREFIX": prefix,
				"AUTH_TRUSTED_PROXIES": "127.0.0.1,::1"})})
			tc.run(t, s)
			keys, err := client.Keys(t.Context(), prefix+"*").Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) > tc.maxKeys {
				t.Fatalf("%d keys left in Redis, want at most %d", len(keys), tc.maxKeys)
			}
		})
	}
}
