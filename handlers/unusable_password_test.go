package handlers_test

import (
	"context"
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

// TestUnusablePasswordIsAWrongPassword: an account whose stored hash cannot
// be parsed (Django's unusable "!..." password, imported with the account)
// may still hold a session. Re-entering a password on it is a wrong
// password, 400 on the field, never a 500.
func TestUnusablePasswordIsAWrongPassword(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pair, pw := s.NewUser("unusable")
	me := s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/", Bearer: pair.Access})
	wantStatus(t, me, http.StatusOK)
	id := int64(me.JSON(t)["id"].(float64))
	if err := s.App.Store.UpdateUser(context.Background(), id, map[string]any{"password_hash": "!unusable-django-password"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, path, field string
		body                      map[string]string
	}{
		{"email change", http.MethodPatch, "/api/auth/profile/", "current_password",
			map[string]string{"email": "new@example.com", "current_password": pw}},
		{"password in profile", http.MethodPatch, "/api/auth/profile/", "current_password",
			map[string]string{"password": "another-Horse-battery-9", "current_password": pw}},
		{"password change", http.MethodPost, "/api/auth/password/change/", "old_password",
			map[string]string{"old_password": pw, "new_password": "another-Horse-battery-9"}},
		{"account deletion", http.MethodDelete, "/api/auth/profile/", "password",
			map[string]string{"password": pw}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(testserver.Request{Method: tc.method, Path: tc.path, Bearer: pair.Access, JSON: tc.body})
			wantStatus(t, r, http.StatusBadRequest)
			if _, ok := r.JSON(t)[tc.field]; !ok {
				t.Fatalf("no error on %s: %s", tc.field, r.Body)
			}
		})
	}
}
