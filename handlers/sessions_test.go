package handlers_test

import (
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

func TestSessionsList(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	a, pw := s.NewUser("lister")
	s.Login("lister", pw)
	s.Login("lister", pw)
	s.NewUser("someone") // not listed

	r := s.Do(testserver.Request{Method: http.MethodGet, Path: pathSessions, Bearer: a.Access,
		Header: map[string]string{"User-Agent": "test-agent/1"}})
	wantStatus(t, r, http.StatusOK)
	m := r.JSON(t)
	if m["count"] != float64(3) || m["next"] != nil || m["previous"] != nil {
		t.Errorf("page shape: %s", r.Body)
	}
	res, _ := m["results"].([]any)
	if len(res) != 3 {
		t.Fatalf("%d results", len(res))
	}
	current := 0
	for _, v := range res {
		e := v.(map[string]any)
		for _, k := range []string{"id", "created_at", "last_used_at", "user_agent", "ip", "current"} {
			if _, ok := e[k]; !ok {
				t.Errorf("session lacks %q", k)
			}
		}
		if e["current"] == true {
			current++
		}
	}
	if current != 1 {
		t.Errorf("%d sessions marked current", current)
	}

	r = s.Do(testserver.Request{Method: http.MethodGet, Path: pathSessions + "?page_size=2", Bearer: a.Access})
	m = r.JSON(t)
	if res, _ := m["results"].([]any); len(res) != 2 || m["next"] == nil || m["previous"] != nil || m["count"] != float64(3) {
		t.Errorf("first page of 2: %s", r.Body)
	}
	r = s.Do(testserver.Request{Method: http.MethodGet, Path: pathSessions + "?page=2&page_size=2", Bearer: a.Access})
	m = r.JSON(t)
	if res, _ := m["results"].([]any); len(res) != 1 || m["next"] != nil || m["previous"] == nil {
		t.Errorf("second page of 2: %s", r.Body)
	}
	wantError(t, s.Do(testserver.Request{Method: http.MethodGet, Path: pathSessions + "?page=9", Bearer: a.Access}), http.StatusNotFound, "not_found")
	wantError(t, s.Do(testserver.Request{Method: http.MethodGet, Path: pathSessions}), http.StatusUnauthorized, "not_authenticated")
}

func TestSessionDelete(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	a, pw := s.NewUser("owner")
	b := s.Login("owner", pw)
	victim, _ := s.NewUser("victim")
	bID := currentSessionID(t, s, b.Access)
	victimID := currentSessionID(t, s, victim.Access)

	del := func(id string) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodDelete, Path: pathSessions + id + "/", Bearer: a.Access})
	}
	// Another user's session: 404, as for an unknown id, and nothing changes.
	wantError(t, del(victimID), http.StatusNotFound, "not_found")
	wantStatus(t, profile(s, victim.Access), http.StatusOK)
	pairOf(t, refresh(s, victim.Refresh))
	wantError(t, del("no-such-session"), http.StatusNotFound, "not_found")

	r := del(bID)
	wantStatus(t, r, http.StatusNoContent)
	wantTokenInvalid(t, profile(s, b.Access))
	wantTokenInvalid(t, refresh(s, b.Refresh))
	wantStatus(t, profile(s, a.Access), http.StatusOK)
	if n := len(sessionsOf(t, s, a.Access)); n != 1 {
		t.Errorf("%d sessions left, want 1", n)
	}
	// Ending it twice: it is no longer live.
	wantError(t, del(bID), http.StatusNotFound, "not_found")
}
