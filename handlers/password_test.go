package handlers_test

import (
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

func TestPasswordChange(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	cur, pw := s.NewUser("changer")
	other := s.Login("changer", pw)
	change := func(body map[string]any) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodPost, Path: pathPassword, Bearer: cur.Access, JSON: body})
	}
	const next = "Brand!new-walnut-42x"
	cases := []struct {
		name  string
		body  map[string]any
		field string
		msg   string
	}{
		{"wrong old", map[string]any{"old_password": "wrong", "new_password": next}, "old_password", "incorrectly"},
		{"missing old", map[string]any{"new_password": next}, "old_password", "This field is required."},
		{"missing new", map[string]any{"old_password": pw}, "new_password", "This field is required."},
		{"new too short", map[string]any{"old_password": pw, "new_password": "Ab1!"}, "new_password", "too short"},
		{"new common", map[string]any{"old_password": pw, "new_password": "password1"}, "new_password", "too common"},
		{"new numeric", map[string]any{"old_password": pw, "new_password": "93847561029"}, "new_password", "entirely numeric"},
		{"new similar", map[string]any{"old_password": pw, "new_password": "changer123"}, "new_password", "too similar"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantField(t, change(c.body), c.field, c.msg)
		})
	}
	// Refused changes ended nothing.
	wantStatus(t, profile(s, other.Access), http.StatusOK)
	s.Login("changer", pw)

	wantError(t, s.Do(testserver.Request{Method: http.MethodPost, Path: pathPassword,
		JSON: map[string]any{"old_password": pw, "new_password": next}}), http.StatusUnauthorized, "not_authenticated")

	wantStatus(t, change(map[string]any{"old_password": pw, "new_password": next}), http.StatusOK)
	// Other sessions end, access and refresh alike; the current one stays.
	wantTokenInvalid(t, profile(s, other.Access))
	wantTokenInvalid(t, refresh(s, other.Refresh))
	wantStatus(t, profile(s, cur.Access), http.StatusOK)
	pairOf(t, refresh(s, cur.Refresh))
	wantError(t, s.Post(pathToken, map[string]string{"username": "changer", "password": pw}), http.StatusUnauthorized, "no_active_account")
	s.Login("changer", next)
}
