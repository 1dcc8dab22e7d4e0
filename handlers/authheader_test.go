package handlers_test

import (
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

// TestTwoAuthorizationHeaders: a request carrying two Authorization
// headers was answered with the identity of the first, while a proxy or
// logger in front may have looked at the second. Which credential counts
// is ambiguous, so the request is refused with the bad-header 401 whatever
// the two hold.
func TestTwoAuthorizationHeaders(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	alice, _ := s.NewUser("twohdr-alice")
	bob, _ := s.NewUser("twohdr-bob")
	key := s.Post("/api-token-auth/", map[string]string{"username": "twohdr-bob", "password": "correct-Horse-battery-9"}).Str(t, "token")
	if key == "" {
		t.Fatal("no API key")
	}
	for _, tc := range []struct {
		name   string
		values []string
	}{
		{"two users", []string{"Bearer " + alice.Access, "Bearer " + bob.Access}},
		{"same token twice", []string{"Bearer " + alice.Access, "Bearer " + alice.Access}},
		{"bearer then key", []string{"Bearer " + alice.Access, "Token " + key}},
		{"garbage then valid", []string{"Bearer garbage", "Bearer " + bob.Access}},
		{"empty then valid", []string{"", "Bearer " + bob.Access}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/",
				Values: map[string][]string{"Authorization": tc.values}})
			wantError(t, r, http.StatusUnauthorized, "bad_authorization_header")
		})
	}
	// One header still works.
	if r := profile(s, bob.Access); r.Status != http.StatusOK {
		t.Fatalf("control: %d %s", r.Status, r.Body)
	}
}
