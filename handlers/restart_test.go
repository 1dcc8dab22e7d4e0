package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

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

// TestRestartReusesGeneratedSecret starts without AUTH_SECRET_KEY: the
// secret generated on the first start (with a warning) must be the one the
// second start uses, or every token would die with the process.
func TestRestartReusesGeneratedSecret(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	noSecret := map[string]string{"AUTH_SECRET_KEY": ""}
	var log1, log2 testserver.LogBuffer
	s1 := testserver.New(t, testserver.Options{Dir: dir, Env: noSecret, Log: &log1})
	p, _ := s1.NewUser("generated")
	if !strings.Contains(log1.String(), "AUTH_SECRET_KEY is not set") {
		t.Errorf("no warning about the generated secret: %s", log1.String())
	}
	// Tokens are not signed with the fixed test secret.
	if _, err := jwt.Parse(p.Access, func(*jwt.Token) (any, error) { return []byte(testserver.Secret), nil }); err == nil {
		t.Fatal("token signed with the fixed test secret: the generated one was not used")
	}
	s1.Close()

	s2 := testserver.New(t, testserver.Options{Dir: dir, Env: noSecret, Log: &log2})
	wantStatus(t, profile(s2, p.Access), http.StatusOK)
	pairOf(t, refresh(s2, p.Refresh))
	if strings.Contains(log2.String(), "AUTH_SECRET_KEY is not set") {
		t.Errorf("second start generated a secret again")
	}
}
