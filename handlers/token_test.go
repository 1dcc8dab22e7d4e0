package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

func TestTokenLogin(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.Register("Carol", strongPassword)
	s.Register("dave", strongPassword)
	inactive := s.Register("erin", strongPassword)
	if err := s.App.Store.UpdateUser(context.Background(), int64(inactive["id"].(float64)), map[string]any{"is_active": false}); err != nil {
		t.Fatal(err)
	}

	t.Run("success", func(t *testing.T) {
		p := pairOf(t, s.Post(pathToken, map[string]string{"username": "Carol", "password": strongPassword}))
		wantStatus(t, profile(s, p.Access), http.StatusOK)
	})
	for _, name := range []string{"carol", "CAROL", "Ｃａｒｏｌ"} {
		t.Run("case variant "+name, func(t *testing.T) {
			p := pairOf(t, s.Post(pathToken, map[string]string{"username": name, "password": strongPassword}))
			r := profile(s, p.Access)
			wantStatus(t, r, http.StatusOK)
			if got := r.Str(t, "username"); got != "Carol" {
				t.Errorf("logged in as %q, want Carol", got)
			}
		})
	}

	// Wrong password, unknown user and inactive user answer exactly alike.
	var bodies []string
	for _, c := range []struct{ name, user, pw string }{
		{"wrong password", "dave", strongPassword + "x"},
		{"unknown user", "nobody", strongPassword},
		{"inactive user", "erin", strongPassword},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := s.Post(pathToken, map[string]string{"username": c.user, "password": c.pw})
			m := wantError(t, r, http.StatusUnauthorized, "no_active_account")
			if m["detail"] != "No active account found with the given credentials" {
				t.Errorf("detail %v", m["detail"])
			}
			bodies = append(bodies, string(r.Body))
		})
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("answers differ: %s vs %s", b, bodies[0])
		}
	}

	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
		msg   string
	}{
		{"username missing", map[string]any{"password": "x"}, "username", "This field is required."},
		{"password missing", map[string]any{"username": "dave"}, "password", "This field is required."},
		{"username blank", map[string]any{"username": "", "password": "x"}, "username", "This field may not be blank."},
		{"password null", map[string]any{"username": "dave", "password": nil}, "password", "This field may not be null."},
		{"password number", map[string]any{"username": "dave", "password": 5}, "password", "Not a valid string."},
		{"password over 1024 bytes", map[string]any{"username": "dave", "password": strings.Repeat("p", 1025)}, "password", "1024 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantField(t, s.Post(pathToken, c.body), c.field, c.msg)
		})
	}
	t.Run("empty body", func(t *testing.T) {
		r := s.Do(testserver.Request{Method: http.MethodPost, Path: pathToken})
		wantField(t, r, "username", "This field is required.")
		wantField(t, r, "password", "This field is required.")
	})
}
