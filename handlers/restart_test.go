package handlers_test

import (
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

// TestRestartKeepsUsersAndRevocations stops the service and starts a new one
// on the same SQLite file: what was registered and what was revoked before
// must still hold.
func TestRestartKeepsUsersAndRevocations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s1 := testserver.New(t, testserver.Options{Dir: dir})
	revoked, pw := s1.NewUser("survivor")
	kept := s1.Login("survivor", pw)
	wantStatus(t, s1.Post(pathLogout, map[string]string{"refresh": revoked.Refresh}), http.StatusOK)
	s1.Close()

	s2 := testserver.New(t, testserver.Options{Dir: dir})
	p := s2.Login("survivor", pw)
	wantStatus(t, profile(s2, p.Access), http.StatusOK)
	wantTokenInvalid(t, profile(s2, revoked.Access))
	wantTokenInvalid(t, refresh(s2, revoked.Refresh))
	// The session that was not revoked lives on across the restart.
	wantStatus(t, profile(s2, kept.Access), http.StatusOK)
	pairOf(t, refresh(s2, kept.Refresh))
	// So does the uniqueness of the name.
	wantField(t, s2.Post(pathRegister, map[string]string{"username": "SURVIVOR", "password": strongPassword}), "username", "already exists")
}
