package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

// TestContractCoreFlow walks the core endpoints, success and failure,
// through testserver, whose Do validates every answer against
// openapi.json: the test fails when a handler answers anything the
// document does not describe.
func TestContractCoreFlow(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pair, pw := s.NewUser("qz")
	steps := []struct {
		name string
		req  testserver.Request
		want int
	}{
		{"healthz", testserver.Request{Method: "GET", Path: "/healthz"}, 200},
		{"readyz slash", testserver.Request{Method: "GET", Path: "/readyz/"}, 200},
		{"openapi", testserver.Request{Method: "GET", Path: "/openapi.json"}, 200},
		{"metrics", testserver.Request{Method: "GET", Path: "/metrics"}, 200},
		{"register invalid", testserver.Request{Method: "POST", Path: "/api/auth/register/", JSON: map[string]any{"username": "", "password": "1"}}, 400},
		{"register 415", testserver.Request{Method: "POST", Path: "/api/auth/register", Body: strings.NewReader("x"), ContentType: "text/plain"}, 415},
		{"register bad json", testserver.Request{Method: "POST", Path: "/api/auth/register", Body: strings.NewReader("{"), ContentType: "application/json"}, 400},
		{"token wrong password", testserver.Request{Method: "POST", Path: "/api/auth/token/", JSON: map[string]string{"username": "qz", "password": "nope-nope"}}, 401},
		{"token missing fields", testserver.Request{Method: "POST", Path: "/api/auth/token", JSON: map[string]string{}}, 400},
		{"verify ok", testserver.Request{Method: "POST", Path: "/api/auth/token/verify/", JSON: map[string]string{"token": pair.Access}}, 200},
		{"verify garbage", testserver.Request{Method: "POST", Path: "/api/auth/token/verify", JSON: map[string]string{"token": "garbage"}}, 401},
		{"profile", testserver.Request{Method: "GET", Path: "/api/auth/profile/", Bearer: pair.Access}, 200},
		{"profile no auth", testserver.Request{Method: "GET", Path: "/api/auth/profile"}, 401},
		{"profile garbage", testserver.Request{Method: "GET", Path: "/api/auth/profile", Bearer: "garbage"}, 401},
		{"profile patch", testserver.Request{Method: "PATCH", Path: "/api/auth/profile", Bearer: pair.Access, JSON: map[string]string{"bio": "hi"}}, 200},
		{"profile put", testserver.Request{Method: "PUT", Path: "/api/auth/profile/", Bearer: pair.Access, JSON: map[string]string{"bio": "hi", "email": "w@example.com", "username": "qz", "current_password": pw}}, 200},
		{"profile email without password", testserver.Request{Method: "PATCH", Path: "/api/auth/profile/", Bearer: pair.Access, JSON: map[string]string{"email": "x@example.com"}}, 400},
		{"profile patch bad", testserver.Request{Method: "PATCH", Path: "/api/auth/profile", Bearer: pair.Access, JSON: map[string]string{"email": "nope"}}, 400},
		{"sessions", testserver.Request{Method: "GET", Path: "/api/auth/sessions/?page_size=1", Bearer: pair.Access}, 200},
		{"sessions bad page", testserver.Request{Method: "GET", Path: "/api/auth/sessions?page=9", Bearer: pair.Access}, 404},
		{"end unknown session", testserver.Request{Method: "DELETE", Path: "/api/auth/sessions/nope/", Bearer: pair.Access}, 404},
		{"password change wrong", testserver.Request{Method: "POST", Path: "/api/auth/password/change/", Bearer: pair.Access, JSON: map[string]string{"old_password": "wrong-wrong", "new_password": "n3w-Passw0rd-long"}}, 400},
		{"unknown path", testserver.Request{Method: "GET", Path: "/nope"}, 404},
		{"wrong method", testserver.Request{Method: "GET", Path: "/api/auth/token/"}, 405},
		{"too large", testserver.Request{Method: "POST", Path: "/api/auth/token/", Body: strings.NewReader(`{"username":"` + strings.Repeat("a", 2<<20) + `"}`), ContentType: "application/json"}, 413},
	}
	for _, st := range steps {
		if r := s.Do(st.req); r.Status != st.want {
			t.Errorf("%s: %d, want %d: %.300s", st.name, r.Status, st.want, r.Body)
		}
	}

	r := s.Post("/api/auth/token/refresh/", map[string]string{"refresh": pair.Refresh})
	if r.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	next := r.Str(t, "refresh")
	if r := s.Post("/api/auth/logout/", map[string]string{"refresh": next}); r.Status != http.StatusOK {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if r := s.Post("/api/auth/token/blacklist", map[string]string{"refresh": next}); r.Status != http.StatusUnauthorized {
		t.Fatalf("logout again: %d %s", r.Status, r.Body)
	}
	second := s.Login("qz", pw)
	if r := s.Do(testserver.Request{Method: "POST", Path: "/api/auth/logout/all/", Bearer: second.Access}); r.Status != http.StatusOK {
		t.Fatalf("logout all: %d %s", r.Status, r.Body)
	}
	third := s.Login("qz", pw)
	if r := s.Do(testserver.Request{Method: "DELETE", Path: "/api/auth/profile/", Bearer: third.Access, JSON: map[string]string{"password": pw}}); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
}
