package handlers_test

import (
	"context"
	"net/http"
	"testing"
)

func TestDeactivatedUserRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	p, pw := s.NewUser("deactivated")
	id := int64(profile(s, p.Access).JSON(t)["id"].(float64))
	if err := s.App.Store.UpdateUser(context.Background(), id, map[string]any{"is_active": false}); err != nil {
		t.Fatal(err)
	}
	m := wantError(t, profile(s, p.Access), http.StatusUnauthorized, "user_inactive")
	if m["detail"] != "User is inactive" {
		t.Errorf("detail %v", m["detail"])
	}
	r := refresh(s, p.Refresh)
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("refresh of an inactive user: %d %s", r.Status, r.Body)
	}
	wantError(t, s.Post(pathToken, map[string]string{"username": "deactivated", "password": pw}), http.StatusUnauthorized, "no_active_account")
	// Verify answers like every other endpoint: the user is inactive.
	wantError(t, s.Post(pathVerify, map[string]string{"token": p.Access}), http.StatusUnauthorized, "user_inactive")
}
