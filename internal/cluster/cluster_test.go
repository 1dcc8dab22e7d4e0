package cluster

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// pair starts two instances on one database (keyed by the shared Dir) with
// one clock, so both agree on time as NTP-synchronised machines would.
func pair(t *testing.T) (a, b *testserver.Server) {
	t.Helper()
	testserver.RequirePostgres(t)
	dir, clock := t.TempDir(), testserver.NewClock()
	a = testserver.New(t, testserver.Options{Dir: dir, Clock: clock})
	b = testserver.New(t, testserver.Options{Dir: dir, Clock: clock})
	return a, b
}

// newUser registers name with a password unlike it and logs in.
func newUser(s *testserver.Server, name string) testserver.Pair {
	const pw = "Quartz-Velvet-93-Lantern"
	s.Register(name, pw)
	return s.Login(name, pw)
}

func profile(s *testserver.Server, access string) int {
	return s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/", Bearer: access}).Status
}

func refresh(s *testserver.Server, token string) *testserver.Response {
	return s.Post("/api/auth/token/refresh/", map[string]string{"refresh": token})
}

func TestTokenFromOneInstanceAcceptedByOther(t *testing.T) {
	t.Parallel()
	a, b := pair(t)
	p := newUser(a, "alice")
	if got := profile(b, p.Access); got != http.StatusOK {
		t.Fatalf("B: profile with A's access token: %d, want 200", got)
	}
	r := refresh(b, p.Refresh)
	if r.Status != http.StatusOK {
		t.Fatalf("B: refresh of A's refresh token: %d %s", r.Status, r.Body)
	}
	if got := profile(a, r.Str(t, "access")); got != http.StatusOK {
		t.Fatalf("A: profile with B's access token: %d, want 200", got)
	}
}

func TestLogoutOnOneInstanceEndsAccessOnOther(t *testing.T) {
	t.Parallel()
	a, b := pair(t)
	p := newUser(a, "bob")
	if got := profile(b, p.Access); got != http.StatusOK {
		t.Fatalf("B before logout: %d, want 200", got)
	}
	if r := a.Post("/api/auth/logout/", map[string]string{"refresh": p.Refresh}); r.Status != http.StatusOK {
		t.Fatalf("A: logout: %d %s", r.Status, r.Body)
	}
	// No clock move, no wait: B reads the session from the shared database
	// on every request, so the revocation is visible at once.
	if got := profile(b, p.Access); got != http.StatusUnauthorized {
		t.Fatalf("B after logout on A: %d, want 401", got)
	}
}

func TestRefreshReuseDetectedAcrossInstances(t *testing.T) {
	t.Parallel()
	a, b := pair(t)
	p := newUser(a, "carol")
	first := refresh(a, p.Refresh)
	if first.Status != http.StatusOK {
		t.Fatalf("A: first refresh: %d %s", first.Status, first.Body)
	}
	a.Clock.Advance(time.Minute) // past the 10 s grace interval
	if r := refresh(b, p.Refresh); r.Status != http.StatusUnauthorized {
		t.Fatalf("B: reuse of the retired token: %d %s, want 401", r.Status, r.Body)
	}
	// Reuse revoked the whole session, on both instances.
	if r := refresh(a, first.Str(t, "refresh")); r.Status != http.StatusUnauthorized {
		t.Fatalf("A: successor after reuse: %d %s, want 401", r.Status, r.Body)
	}
	if got := profile(a, first.Str(t, "access")); got != http.StatusUnauthorized {
		t.Fatalf("A: access after reuse: %d, want 401", got)
	}
}

// TestConcurrentRefreshSpreadOverInstances sends one refresh token 50 times
// at once, alternating instances: exactly the race the conditional UPDATE in
// models.Rotate closes on PostgreSQL READ COMMITTED. Every answer must be a
// 200 inside the grace interval, all with the same successor (the session
// never forks), and the session must keep working.
func TestConcurrentRefreshSpreadOverInstances(t *testing.T) {
	t.Parallel()
	a, b := pair(t)
	p := newUser(a, "dave")
	const n = 50
	body, _ := json.Marshal(map[string]string{"refresh": p.Refresh})
	type answer struct {
		status  int
		refresh string
		err     error
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := s.Client.Post(s.URL+"/api/auth/token/refresh/", "application/json", bytes.NewReader(body))
			if err != nil {
				answers[i].err = err
				return
			}
			defer resp.Body.Close()
			var m map[string]any
			answers[i].err = json.NewDecoder(resp.Body).Decode(&m)
			answers[i].status = resp.StatusCode
			answers[i].refresh, _ = m["refresh"].(string)
		}()
	}
	close(start)
	wg.Wait()
	successors := map[string]int{}
	for i, ans := range answers {
		if ans.err != nil {
			t.Fatalf("request %d: %v", i, ans.err)
		}
		if ans.status != http.StatusOK {
			t.Fatalf("request %d: status %d, want 200 for every refresh inside the grace interval", i, ans.status)
		}
		successors[ans.refresh]++
	}
	if len(successors) != 1 {
		t.Fatalf("%d different successor refresh tokens, want 1 (the session forked)", len(successors))
	}
	var next string
	for k := range successors {
		next = k
	}
	r := refresh(b, next)
	if r.Status != http.StatusOK {
		t.Fatalf("refresh with the successor: %d %s", r.Status, r.Body)
	}
	if got := profile(a, r.Str(t, "access")); got != http.StatusOK {
		t.Fatalf("session unusable after the storm: %d", got)
	}
}
