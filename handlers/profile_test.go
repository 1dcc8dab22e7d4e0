package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"authsvc/internal/testserver"
	"authsvc/models"
)

func TestProfileGet(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	p, _ := s.NewUser("viewer")
	r := profile(s, p.Access)
	wantStatus(t, r, http.StatusOK)
	m := r.JSON(t)
	for _, k := range []string{"id", "username", "email", "bio", "profile_picture", "followers_count",
		"following_count", "is_staff", "date_joined", "last_login"} {
		if _, ok := m[k]; !ok {
			t.Errorf("own user lacks %q: %s", k, r.Body)
		}
	}
	if _, ok := m["password"]; ok {
		t.Errorf("own user has a password field")
	}
	if m["last_login"] == nil {
		t.Errorf("last_login not set by login")
	}
	wantError(t, s.Do(testserver.Request{Method: http.MethodGet, Path: pathProfile}), http.StatusUnauthorized, "not_authenticated")
}

func TestProfilePatchIgnoresReadOnly(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	p, _ := s.NewUser("patcher")
	before := profile(s, p.Access).JSON(t)
	r := s.Do(testserver.Request{Method: http.MethodPatch, Path: pathProfile, Bearer: p.Access, JSON: map[string]any{
		"bio":      "new bio",
		"is_staff": true, "Is_Staff": true, "IS_STAFF": true, "isStaff": true, "IsStaff": true,
		"is_superuser": true, "is_active": false, "Is_Active": false,
		"id": 4242, "Id": 4242, "ID": 4242,
		"followers_count": 99, "Followers_Count": 99, "following_count": 99,
		"date_joined": "2001-01-01T00:00:00Z", "Date_Joined": "2001-01-01T00:00:00Z",
		"last_login": nil, "password_hash": "x", "PasswordHash": "x",
	}})
	wantStatus(t, r, http.StatusOK)
	m := r.JSON(t)
	if m["bio"] != "new bio" {
		t.Errorf("bio not applied: %s", r.Body)
	}
	for _, k := range []string{"id", "is_staff", "followers_count", "following_count", "date_joined"} {
		if m[k] != before[k] {
			t.Errorf("%s changed from %v to %v", k, before[k], m[k])
		}
	}
	u, err := s.App.Store.UserByID(context.Background(), int64(before["id"].(float64)))
	if err != nil {
		t.Fatal(err)
	}
	if u.IsStaff || u.IsSuperuser || !u.IsActive || u.FollowersCount != 0 || u.PasswordHash == "x" {
		t.Errorf("stored user changed by read-only fields: %+v", u)
	}
	wantStatus(t, profile(s, p.Access), http.StatusOK) // still active
}

// TestProfileUpdate covers the address change as it is without
// verification (AUTH_EMAIL_VERIFICATION=off): it applies at once and is
// checked for uniqueness at once. With verification on, the change waits
// for its link (email_change_flow_test.go).
func TestProfileUpdate(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"AUTH_EMAIL_VERIFICATION": "off"})
	p, pw := s.NewUser("updater")
	taken, takenPW := s.NewUser("taken")
	patch := func(body map[string]any) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodPatch, Path: pathProfile, Bearer: p.Access, JSON: body})
	}
	wantField(t, patch(map[string]any{"username": "TAKEN"}), "username", "already exists")
	wantField(t, patch(map[string]any{"username": "bad name"}), "username", "Enter a valid username.")
	wantField(t, patch(map[string]any{"email": "nope"}), "email", "Enter a valid email address.")
	wantStatus(t, s.Do(testserver.Request{Method: http.MethodPatch, Path: pathProfile, Bearer: taken.Access,
		JSON: map[string]any{"email": "Taken@Example.com", "current_password": takenPW}}), http.StatusOK)
	wantField(t, patch(map[string]any{"email": "taken@EXAMPLE.com"}), "email", "already exists")
	wantField(t, patch(map[string]any{"profile_picture": "ftp://x/y.png"}), "profile_picture", "Enter a valid URL.")
	r := patch(map[string]any{"email": "Up@Example.com", "current_password": pw, "profile_picture": "https://example.com/a.png"})
	wantStatus(t, r, http.StatusOK)
	if m := r.JSON(t); m["email"] != "Up@Example.com" || m["profile_picture"] != "https://example.com/a.png" {
		t.Errorf("patch not applied: %s", r.Body)
	}

	put := func(body map[string]any) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodPut, Path: pathProfile, Bearer: p.Access, JSON: body})
	}
	wantField(t, put(map[string]any{"bio": "x"}), "username", "This field is required.")
	r = put(map[string]any{"username": "Updater2", "bio": "put bio"})
	wantStatus(t, r, http.StatusOK)
	if r.JSON(t)["username"] != "Updater2" {
		t.Errorf("put not applied: %s", r.Body)
	}
}

func TestProfilePasswordInPatch(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	p, pw := s.NewUser("pwpatch")
	other := s.Login("pwpatch", pw)
	patch := func(body map[string]any) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodPatch, Path: pathProfile, Bearer: p.Access, JSON: body})
	}
	const next = "Fresh!orchid-quarry-77"
	wantField(t, patch(map[string]any{"password": next}), "current_password", "This field is required.")
	wantField(t, patch(map[string]any{"password": next, "current_password": "wrong-one"}), "current_password", "incorrect")
	wantField(t, patch(map[string]any{"password": "short", "current_password": pw}), "password", "too short")
	// None of the refused attempts changed anything.
	s.Login("pwpatch", pw)

	wantStatus(t, patch(map[string]any{"password": next, "current_password": pw}), http.StatusOK)
	wantError(t, s.Post(pathToken, map[string]string{"username": "pwpatch", "password": pw}), http.StatusUnauthorized, "no_active_account")
	s.Login("pwpatch", next)
	// Acts as a password change: other sessions end, this one stays.
	wantTokenInvalid(t, profile(s, other.Access))
	wantStatus(t, profile(s, p.Access), http.StatusOK)
}

func TestProfileDelete(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	p, pw := s.NewUser("deleter")
	other := s.Login("deleter", pw)
	del := func(body any) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodDelete, Path: pathProfile, Bearer: p.Access, JSON: body})
	}
	wantField(t, del(nil), "password", "This field is required.")
	wantField(t, del(map[string]any{"password": "wrong"}), "password", "incorrect")
	wantStatus(t, profile(s, p.Access), http.StatusOK)

	r := del(map[string]any{"password": pw})
	wantStatus(t, r, http.StatusNoContent)
	if len(r.Body) != 0 {
		t.Errorf("204 with a body: %q", r.Body)
	}
	wantTokenInvalid(t, profile(s, p.Access))
	wantTokenInvalid(t, profile(s, other.Access))
	wantTokenInvalid(t, refresh(s, other.Refresh))
	wantError(t, s.Post(pathToken, map[string]string{"username": "deleter", "password": pw}), http.StatusUnauthorized, "no_active_account")
	// Its sessions went with it (ON DELETE CASCADE), not only its user row.
	for _, a := range []string{p.Access, other.Access} {
		_, claims := parts(t, a)
		if _, err := s.App.Store.SessionByID(context.Background(), claims["sid"].(string)); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("session of the deleted account: %v", err)
		}
	}
	// The name is free again.
	s.Register("deleter", pw)
}
