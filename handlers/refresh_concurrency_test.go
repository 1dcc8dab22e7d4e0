package handlers_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// TestRefreshConcurrentTabs presents one refresh token from many tabs at once
// (the rotations go through the SQLite group commit together): every tab gets
// 200 and the SAME successor, so the session does not fork; past the grace
// interval the old token is reuse and ends the session.
func TestRefreshConcurrentTabs(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	s.Register("ada", "correct-Horse-battery-9")
	pair := s.Login("ada", "correct-Horse-battery-9")

	const tabs = 16
	got := make([]string, tabs)
	status := make([]int, tabs)
	var wg sync.WaitGroup
	for i := range tabs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.Post("/api/auth/token/refresh/", map[string]string{"refresh": pair.Refresh})
			status[i] = r.Status
			if r.Status == http.StatusOK {
				got[i] = r.Str(t, "refresh")
			}
		}()
	}
	wg.Wait()
	for i := range tabs {
		if status[i] != http.StatusOK || got[i] == "" || got[i] != got[0] {
			t.Fatalf("tab %d: status %d, refresh %q (tab 0 got %q)", i, status[i], got[i], got[0])
		}
	}
	// The successor keeps rotating.
	r := s.Post("/api/auth/token/refresh/", map[string]string{"refresh": got[0]})
	if r.Status != http.StatusOK {
		t.Fatalf("rotate successor: %d %s", r.Status, r.Body)
	}
	next := r.Str(t, "refresh")

	s.Clock.Advance(11 * time.Second) // past the default 10 s grace
	if r := s.Post("/api/auth/token/refresh/", map[string]string{"refresh": pair.Refresh}); r.Status != http.StatusUnauthorized {
		t.Fatalf("reuse after grace: %d %s", r.Status, r.Body)
	}
	if r := s.Post("/api/auth/token/refresh/", map[string]string{"refresh": next}); r.Status != http.StatusUnauthorized {
		t.Fatalf("session should be revoked after reuse, refresh answered %d %s", r.Status, r.Body)
	}
}

// TestVerifySessionState covers the verify endpoint's own session query:
// live tokens pass, a retired refresh token and every token of a logged-out
// session fail.
func TestVerifySessionState(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	s.Register("grace", "correct-Horse-battery-9")
	p := s.Login("grace", "correct-Horse-battery-9")
	verify := func(tok string) int {
		return s.Post("/api/auth/token/verify/", map[string]string{"token": tok}).Status
	}
	if st := verify(p.Access); st != http.StatusOK {
		t.Fatalf("live access token: %d", st)
	}
	r := s.Post("/api/auth/token/refresh/", map[string]string{"refresh": p.Refresh})
	if r.Status != http.StatusOK {
		t.Fatalf("refresh: %d", r.Status)
	}
	next := r.Str(t, "refresh")
	if st := verify(p.Refresh); st != http.StatusUnauthorized {
		t.Fatalf("retired refresh token: %d", st)
	}
	if st := verify(next); st != http.StatusOK {
		t.Fatalf("current refresh token: %d", st)
	}
	if r := s.Post("/api/auth/logout/", map[string]string{"refresh": next}); r.Status != http.StatusOK {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	for _, tok := range []string{p.Access, next} {
		if st := verify(tok); st != http.StatusUnauthorized {
			t.Fatalf("token of a logged-out session: %d", st)
		}
	}
}
