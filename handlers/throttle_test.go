package handlers_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// alignedClock is 13 s into a minute, so a one-minute window has exactly 47 s
// left and Retry-After can be checked to the second.
func alignedClock() *testserver.Clock {
	c := testserver.NewClock()
	now := c.Now()
	c.Advance(now.Truncate(time.Minute).Add(time.Minute + 13*time.Second).Sub(now))
	return c
}

func throttled(env map[string]string) map[string]string {
	e := map[string]string{"AUTH_THROTTLE": "on"}
	for k, v := range env {
		e[k] = v
	}
	return e
}

type loginAttempt struct{ user, pw, xff string }

func (a loginAttempt) send(s *testserver.Server) *testserver.Response {
	r := testserver.Request{Method: http.MethodPost, Path: "/api/auth/token/",
		JSON: map[string]string{"username": a.user, "password": a.pw}}
	if a.xff != "" {
		r.Header = map[string]string{"X-Forwarded-For": a.xff}
	}
	return s.Do(r)
}

// assertThrottled checks the contract's 429: body, code and exact Retry-After.
func assertThrottled(t *testing.T, r *testserver.Response, seconds int) {
	t.Helper()
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", r.Status, r.Body)
	}
	if got := r.Header.Get("Retry-After"); got != strconv.Itoa(seconds) {
		t.Fatalf("Retry-After %q, want %d", got, seconds)
	}
	m := r.JSON(t)
	want := fmt.Sprintf("Request was throttled. Expected available in %d seconds.", seconds)
	if m["detail"] != want || m["code"] != "throttled" {
		t.Fatalf("body %s", r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
}

func TestThrottleFailedLoginsPerUsername(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: throttled(nil), Clock: alignedClock()})
	pw := "correct-Horse-77"
	s.Register("alice", pw)
	// Successful logins do not use the budget.
	for i := 0; i < 7; i++ {
		s.Login("alice", pw)
	}
	// Five failures, spelled differently: NFKC + case fold make them one name.
	for i, name := range []string{"alice", "Alice", "ALICE", "ａｌｉｃｅ", "alice"} {
		if r := (loginAttempt{user: name, pw: "wrong"}).send(s); r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	// The sixth is refused, even with the right password.
	assertThrottled(t, loginAttempt{user: "alice", pw: pw}.send(s), 47)
	s.Clock.Advance(20 * time.Second)
	assertThrottled(t, loginAttempt{user: "alice", pw: "wrong"}.send(s), 27)
	// Another user from the same address is not affected.
	s.Register("bob", pw)
	s.Login("bob", pw)
	// Once the window ends the name works again.
	s.Clock.Advance(27 * time.Second)
	s.Login("alice", pw)
}

func TestThrottleFailedLoginsPerIP(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: throttled(nil), Clock: alignedClock()})
	for i := 0; i < 10; i++ {
		r := loginAttempt{user: fmt.Sprintf("nobody%d", i), pw: "wrong"}.send(s)
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, r.Status)
		}
	}
	assertThrottled(t, loginAttempt{user: "someone-else", pw: "x"}.send(s), 47)
	s.Clock.Advance(47 * time.Second)
	if r := (loginAttempt{user: "someone-else", pw: "x"}).send(s); r.Status != http.StatusUnauthorized {
		t.Fatalf("after the window: %d", r.Status)
	}
}

// X-Forwarded-For is believed only from a proxy named in AUTH_TRUSTED_PROXIES;
// otherwise a client could pick a new address for every guess.
func TestThrottleForwardedForOnlyFromTrustedProxy(t *testing.T) {
	t.Parallel()
	t.Run("untrusted", func(t *testing.T) {
		t.Parallel()
		s := testserver.New(t, testserver.Options{Env: throttled(nil), Clock: alignedClock()})
		for i := 0; i < 10; i++ {
			loginAttempt{user: fmt.Sprintf("u%d", i), pw: "x", xff: fmt.Sprintf("198.51.100.%d", i)}.send(s)
		}
		assertThrottled(t, loginAttempt{user: "v", pw: "x", xff: "198.51.100.99"}.send(s), 47)
	})
	t.Run("trusted", func(t *testing.T) {
		t.Parallel()
		s := testserver.New(t, testserver.Options{
			Env: throttled(map[string]string{"AUTH_TRUSTED_PROXIES": "127.0.0.1,::1"}), Clock: alignedClock()})
		for i := 0; i < 10; i++ {
			loginAttempt{user: fmt.Sprintf("u%d", i), pw: "x", xff: "198.51.100.7"}.send(s)
		}
		assertThrottled(t, loginAttempt{user: "v", pw: "x", xff: "198.51.100.7"}.send(s), 47)
		// Another client behind the same proxy has its own budget.
		if r := (loginAttempt{user: "v", pw: "x", xff: "198.51.100.8"}).send(s); r.Status != http.StatusUnauthorized {
			t.Fatalf("other client behind the proxy: %d %s", r.Status, r.Body)
		}
	})
}

func TestThrottleRegistrationsPerIP(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: throttled(nil), Clock: alignedClock()})
	// Every attempt counts, taken names and invalid bodies included.
	s.Register("taken", "correct-Horse-77")
	for i := 1; i < 20; i++ {
		s.Post("/api/auth/register/", map[string]string{"username": "taken", "password": "correct-Horse-77"})
	}
	r := s.Post("/api/auth/register/", map[string]string{"username": "new", "password": "correct-Horse-77"})
	now := s.Clock.Now()
	left := now.Truncate(time.Hour).Add(time.Hour).Sub(now)
	assertThrottled(t, r, int(left/time.Second))
	s.Clock.Advance(left)
	s.Register("new", "correct-Horse-77")
}

func TestThrottleOff(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_THROTTLE": "off"}})
	for i := 0; i < 30; i++ {
		if r := (loginAttempt{user: "alice", pw: "wrong"}).send(s); r.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, r.Status)
		}
	}
}

// Two instances on one Redis share the counters: an attacker cannot multiply
// the budget by spreading guesses over the instances behind a balancer.
func TestThrottleSharedThroughRedis(t *testing.T) {
	t.Parallel()
	client, prefix := testserver.Redis(t)
	clock := alignedClock()
	env := throttled(map[string]string{"AUTH_REDIS_URL": testserver.RedisURL, "AUTH_REDIS_PREFIX": prefix})
	a := testserver.New(t, testserver.Options{Env: env, Clock: clock})
	b := testserver.New(t, testserver.Options{Env: env, Clock: clock})
	for i, s := range []*testserver.Server{a, b, a, b, a} {
		if r := (loginAttempt{user: "carol", pw: "wrong"}).send(s); r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	assertThrottled(t, loginAttempt{user: "carol", pw: "wrong"}.send(b), 47)
	assertThrottled(t, loginAttempt{user: "carol", pw: "wrong"}.send(a), 47)
	keys, err := client.Keys(t.Context(), prefix+"*").Result()
	if err != nil || len(keys) != 2 { // one per IP, one for the account
		t.Fatalf("redis keys %v %v", keys, err)
	}
	clock.Advance(47 * time.Second)
	if r := (loginAttempt{user: "carol", pw: "wrong"}).send(b); r.Status != http.StatusUnauthorized {
		t.Fatalf("after the window: %d", r.Status)
	}
}
