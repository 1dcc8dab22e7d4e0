package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"authsvc/accounts"
	"authsvc/internal/testserver"
	"authsvc/models"
)

// obtainKey gets an API key through POST /api-token-auth/.
func obtainKey(t *testing.T, s *testserver.Server, username, password string) string {
	t.Helper()
	r := s.Post("/api-token-auth/", map[string]string{"username": username, "password": password})
	if r.Status != http.StatusOK {
		t.Fatalf("api-token-auth %s: %d %s", username, r.Status, r.Body)
	}
	key := r.Str(t, "token")
	if len(key) < 43 {
		t.Fatalf("key %q is shorter than 32 bytes of base64", key)
	}
	return key
}

// user loads a user straight from the database.
func user(t *testing.T, s *testserver.Server, username string) *models.User {
	t.Helper()
	u, err := s.App.Store.UserByUsernameKey(context.Background(), accounts.UsernameKey(username))
	if err != nil {
		t.Fatalf("load %s: %v", username, err)
	}
	return u
}

// setFlags writes user columns directly (test setup: making staff, or
// deactivating without the admin endpoint's revocation).
func setFlags(t *testing.T, s *testserver.Server, username string, cols map[string]any) {
	t.Helper()
	if err := s.App.Store.UpdateUser(context.Background(), user(t, s, username).ID, cols); err != nil {
		t.Fatalf("update %s: %v", username, err)
	}
}

// newStaff registers a user, makes it staff and returns its access token.
func newStaff(t *testing.T, s *testserver.Server, name string) (testserver.Pair, string) {
	t.Helper()
	p, pw := s.NewUser(name)
	setFlags(t, s, name, map[string]any{"is_staff": true})
	return p, pw
}

// wantJSON fails unless the response has status and exactly the body want.
func wantJSON(t *testing.T, r *testserver.Response, status int, want string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	var got, exp any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("body is not JSON: %q", r.Body)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("bad want %q: %v", want, err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("body %s, want %s", r.Body, want)
	}
}

const (
	bodyInvalidKey   = `{"detail":"Invalid token.","code":"authentication_failed"}`
	bodyBadLogin     = `{"non_field_errors":["Unable to log in with provided credentials."]}`
	bodyInactive     = `{"detail":"User is inactive","code":"user_inactive"}`
	bodyNoAuth       = `{"detail":"Authentication credentials were not provided.","code":"not_authenticated"}`
	bodyDenied       = `{"detail":"You do not have permission to perform this action.","code":"permission_denied"}`
	bodyInvalidPage  = `{"detail":"Invalid page.","code":"not_found"}`
	bodyNotFound     = `{"detail":"Not found.","code":"not_found"}`
	profilePath      = "/api/auth/profile/"
	tokenAuthPath    = "/api-token-auth/"
	adminUsersPath   = "/api/admin/users/"
	accountsRegister = "/api/accounts/register/"
)

// get sends a GET with an API key.
func getWithKey(s *testserver.Server, path, key string) *testserver.Response {
	return s.Do(testserver.Request{Method: http.MethodGet, Path: path, Token: key})
}
