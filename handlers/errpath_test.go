package handlers_test

import (
	"net/http"
	"os"
	"testing"

	"authsvc/internal/testserver"
)

// TestPictureDatabaseUnavailable: a database that cannot take writes answers
// 503 service_unavailable with Retry-After on the picture endpoints too, as
// on every other endpoint, not a plain 500. The one SQLite writer connection
// is switched to query_only after login, so the write fails with
// SQLITE_READONLY while authentication (a read) still passes.
func TestPictureDatabaseUnavailable(t *testing.T) {
	t.Parallel()
	if os.Getenv(testserver.PostgresEnv) != "" {
		t.Skip("switches the SQLite writer to query_only")
	}
	for _, tc := range []struct {
		name string
		do   func(s *testserver.Server, access string) *testserver.Response
	}{
		{"upload", func(s *testserver.Server, access string) *testserver.Response {
			return upload(s, access, "a.png", "image/png", pngOf(t, 8, 8))
		}},
		{"delete", func(s *testserver.Server, access string) *testserver.Response {
			return s.Do(testserver.Request{Method: http.MethodDelete, Path: picturePath, Bearer: access})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t, testserver.Options{})
			pair, _ := newUser(t, s, "pic"+tc.name)
			if err := s.App.Store.W.Exec("PRAGMA query_only = ON").Error; err != nil {
				t.Fatal(err)
			}
			r := tc.do(s, pair.Access)
			m := wantError(t, r, http.StatusServiceUnavailable, "service_unavailable")
			if m["detail"] != "Service temporarily unavailable, try again later." {
				t.Errorf("detail %v", m["detail"])
			}
			if ra := r.Header.Get("Retry-After"); ra != "1" {
				t.Errorf("Retry-After %q, want 1", ra)
			}
		})
	}
}

// TestReadyzUnavailable: with the database gone, /readyz answers the
// catalogue's 503 with the Health body monitors read and Retry-After.
func TestReadyzUnavailable(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	for _, tc := range []struct {
		name   string
		before func()
		status int
		body   map[string]any
	}{
		{"up", func() {}, http.StatusOK, map[string]any{"status": "ok"}},
		{"down", func() {
			if err := s.App.Store.Close(); err != nil {
				t.Fatal(err)
			}
		}, http.StatusServiceUnavailable, map[string]any{
			"status": "unavailable", "detail": "Database not reachable.", "code": "service_unavailable"}},
	} {
		tc.before()
		r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/readyz"})
		if r.Status != tc.status {
			t.Fatalf("%s: status %d, want %d: %s", tc.name, r.Status, tc.status, r.Body)
		}
		m := r.JSON(t)
		if len(m) != len(tc.body) {
			t.Errorf("%s: body %v, want %v", tc.name, m, tc.body)
		}
		for k, v := range tc.body {
			if m[k] != v {
				t.Errorf("%s: %s = %v, want %v", tc.name, k, m[k], v)
			}
		}
		if want := map[bool]string{true: "1", false: ""}[tc.status == http.StatusServiceUnavailable]; r.Header.Get("Retry-After") != want {
			t.Errorf("%s: Retry-After %q, want %q", tc.name, r.Header.Get("Retry-After"), want)
		}
	}
}
