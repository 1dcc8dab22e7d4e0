package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

// TestStaffCannotManageSuperuser: a staff account that is not a superuser
// cannot change, deactivate or log out a superuser; a superuser can.
func TestStaffCannotManageSuperuser(t *testing.T) {
	t.Parallel()
	s, root, _, staff := ownerOtherStaff(t)
	if err := s.App.Store.UpdateUser(context.Background(), root.ID, map[string]any{"is_staff": true, "is_superuser": true}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPatch, fmt.Sprintf("/api/accounts/profiles/%d/", root.ID), map[string]string{"email": "attacker@evil.example"}},
		{http.MethodPatch, fmt.Sprintf("/api/admin/users/%d/", root.ID), map[string]any{"is_active": false}},
		{http.MethodPost, fmt.Sprintf("/api/admin/users/%d/logout/", root.ID), nil},
	} {
		r := s.Do(testserver.Request{Method: tc.method, Path: tc.path, JSON: tc.body, Bearer: staff.Access})
		wantError(t, r, http.StatusForbidden, "permission_denied")
	}
	// Nothing changed: the superuser's token still works, email untouched.
	r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/", Bearer: root.Access})
	wantStatus(t, r, http.StatusOK)
	if e := r.JSON(t)["email"]; e != "" {
		t.Fatalf("email changed to %v", e)
	}
	// The superuser may manage the staff user.
	r = s.Do(testserver.Request{Method: http.MethodPatch, Path: fmt.Sprintf("/api/admin/users/%d/", staff.ID),
		JSON: map[string]any{"is_active": false}, Bearer: root.Access})
	wantStatus(t, r, http.StatusOK)
}

// TestHugePageNumber: a page number whose offset would overflow is 404, not
// the first page again.
func TestHugePageNumber(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	p := newPerson(t, s, "pager")
	for _, page := range []string{"4611686018427387905", "2147483648", "9223372036854775807"} {
		r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/accounts/profiles/?page_size=2&page=" + page, Bearer: p.Access})
		wantError(t, r, http.StatusNotFound, "not_found")
	}
}

// TestForwardedProtoOnlyFromTrustedProxy: pagination links say https only
// when a trusted proxy says the client used it.
func TestForwardedProtoOnlyFromTrustedProxy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, proxies, want string
	}{
		{"untrusted", "", "http://"},
		{"trusted", "127.0.0.1", "https://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			if tc.proxies != "" {
				env["AUTH_TRUSTED_PROXIES"] = tc.proxies
			}
			s := newServer(t, env)
			p := newPerson(t, s, "a1")
			newPerson(t, s, "a2")
			r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/accounts/profiles/?page_size=1", Bearer: p.Access,
				Header: map[string]string{"X-Forwarded-Proto": "https"}})
			wantStatus(t, r, http.StatusOK)
			next, _ := r.JSON(t)["next"].(string)
			if !strings.HasPrefix(next, tc.want) {
				t.Fatalf("next = %q, want a %s link", next, tc.want)
			}
		})
	}
}

// TestPasswordChecksThrottled: wrong current passwords on the password
// change are limited per IP like failed logins.
func TestPasswordChecksThrottled(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"AUTH_THROTTLE": "on"})
	p := newPerson(t, s, "guessed")
	var last *testserver.Response
	for i := 0; i < 11; i++ {
		last = s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/password/change/", Bearer: p.Access,
			JSON: map[string]string{"old_password": fmt.Sprintf("guess-%d", i), "new_password": "another-Horse-battery-7"}})
	}
	wantError(t, last, http.StatusTooManyRequests, "throttled")
	if last.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

// TestVerifyInactiveUser: verify says user_inactive for a deactivated
// user's token, as every other endpoint does.
func TestVerifyInactiveUser(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	p := newPerson(t, s, "sleeper")
	if err := s.App.Store.UpdateUser(context.Background(), p.ID, map[string]any{"is_active": false}); err != nil {
		t.Fatal(err)
	}
	r := s.Post("/api/auth/token/verify/", map[string]string{"token": p.Access})
	wantError(t, r, http.StatusUnauthorized, "user_inactive")
}
