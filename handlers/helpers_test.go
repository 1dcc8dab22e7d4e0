package handlers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

// Paths of the endpoints under test.
const (
	pathRegister  = "/api/auth/register/"
	pathToken     = "/api/auth/token/"
	pathRefresh   = "/api/auth/token/refresh/"
	pathVerify    = "/api/auth/token/verify/"
	pathBlacklist = "/api/auth/token/blacklist/"
	pathLogout    = "/api/auth/logout/"
	pathLogoutAll = "/api/auth/logout/all/"
	pathProfile   = "/api/auth/profile/"
	pathPassword  = "/api/auth/password/change/"
	pathSessions  = "/api/auth/sessions/"
)

const jsonCT = "application/json; charset=utf-8"

// strongPassword passes the policy for any username the tests use.
const strongPassword = "Tq9!vessel-orbit-lantern"

func newServer(t *testing.T, env map[string]string) *testserver.Server {
	t.Helper()
	return testserver.New(t, testserver.Options{Env: env})
}

// wantError checks an error answer: status, JSON content type, the code, and
// WWW-Authenticate on a 401.
func wantError(t *testing.T, r *testserver.Response, status int, code string) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != jsonCT {
		t.Errorf("Content-Type %q, want %q", ct, jsonCT)
	}
	if status == http.StatusUnauthorized {
		if h := r.Header.Get("WWW-Authenticate"); h != `Bearer realm="api"` {
			t.Errorf("WWW-Authenticate %q", h)
		}
	}
	m := r.JSON(t)
	if code != "" && m["code"] != code {
		t.Errorf("code %v, want %q: %s", m["code"], code, r.Body)
	}
	return m
}

// wantTokenInvalid is the 401 token_not_valid every bad token gets.
func wantTokenInvalid(t *testing.T, r *testserver.Response) {
	t.Helper()
	wantError(t, r, http.StatusUnauthorized, "token_not_valid")
}

// wantField checks a DRF validation 400 whose field lists a message
// containing msg.
func wantField(t *testing.T, r *testserver.Response, field, msg string) {
	t.Helper()
	if r.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != jsonCT {
		t.Errorf("Content-Type %q", ct)
	}
	list, ok := r.JSON(t)[field].([]any)
	if !ok || len(list) == 0 {
		t.Fatalf("no errors for %q in %s", field, r.Body)
	}
	if !slices.ContainsFunc(list, func(v any) bool { s, _ := v.(string); return strings.Contains(s, msg) }) {
		t.Errorf("%q errors %v do not mention %q", field, list, msg)
	}
}

func wantStatus(t *testing.T, r *testserver.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
}

func profile(s *testserver.Server, access string) *testserver.Response {
	return s.Do(testserver.Request{Method: http.MethodGet, Path: pathProfile, Bearer: access})
}

func refresh(s *testserver.Server, token string) *testserver.Response {
	return s.Post(pathRefresh, map[string]string{"refresh": token})
}

// pairOf reads an access/refresh answer.
func pairOf(t *testing.T, r *testserver.Response) testserver.Pair {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	p := testserver.Pair{Access: r.Str(t, "access"), Refresh: r.Str(t, "refresh")}
	if p.Access == "" || p.Refresh == "" {
		t.Fatalf("no token pair in %s", r.Body)
	}
	return p
}

// resultsOf is the results array of a paginated answer.
func resultsOf(t *testing.T, r *testserver.Response) []map[string]any {
	t.Helper()
	res, _ := r.JSON(t)["results"].([]any)
	out := make([]map[string]any, 0, len(res))
	for _, v := range res {
		m, _ := v.(map[string]any)
		out = append(out, m)
	}
	return out
}

// sessionsOf lists the caller's sessions (first page).
func sessionsOf(t *testing.T, s *testserver.Server, access string) []map[string]any {
	t.Helper()
	r := s.Do(testserver.Request{Method: http.MethodGet, Path: pathSessions, Bearer: access})
	wantStatus(t, r, http.StatusOK)
	return resultsOf(t, r)
}

// currentSessionID is the id of the session access belongs to.
func currentSessionID(t *testing.T, s *testserver.Server, access string) string {
	t.Helper()
	for _, m := range sessionsOf(t, s, access) {
		if m["current"] == true {
			id, _ := m["id"].(string)
			return id
		}
	}
	t.Fatalf("no current session")
	return ""
}
