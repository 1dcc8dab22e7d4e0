package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"authsvc/internal/testserver"
)

// TestHostileStringsNever5xx sends NUL bytes and invalid UTF-8 in every
// string field of every endpoint that reads a body, in JSON, form and
// multipart bodies. None may reach the database as a server error (on
// PostgreSQL an unguarded one is a 500), and every answer is JSON.
func TestHostileStringsNever5xx(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	staff, _ := newStaff(t, s, "hostilestaff")
	var n atomic.Int64
	fresh := func(t *testing.T) (name, pw string, p testserver.Pair) {
		name = fmt.Sprintf("hostile%d", n.Add(1))
		p, pw = s.NewUser(name)
		return name, pw, p
	}
	type endpoint struct {
		method, path string
		// setup returns the valid body, the bearer token and the path
		// for one request, using a fresh user where the call changes it.
		setup func(t *testing.T) (fields map[string]string, bearer, path string)
	}
	register := func(t *testing.T) (map[string]string, string, string) {
		name := fmt.Sprintf("newcomer%d", n.Add(1))
		return map[string]string{"username": name, "password": strongPassword, "email": name + "@example.com", "bio": "hi",
			"profile_picture": "https://example.com/a.png"}, "", ""
	}
	login := func(t *testing.T) (map[string]string, string, string) {
		name, pw, _ := fresh(t)
		return map[string]string{"username": name, "password": pw}, "", ""
	}
	tokenField := func(field string) func(t *testing.T) (map[string]string, string, string) {
		return func(t *testing.T) (map[string]string, string, string) {
			_, _, p := fresh(t)
			v := p.Refresh
			if field == "token" {
				v = p.Access
			}
			return map[string]string{field: v}, "", ""
		}
	}
	own := func(t *testing.T) (map[string]string, string, string) {
		name, pw, p := fresh(t)
		return map[string]string{"username": name + "x", "email": name + "@example.com", "bio": "b",
			"profile_picture": "https://example.com/b.png", "password": "N3w-" + strongPassword, "current_password": pw}, p.Access, ""
	}
	public := func(t *testing.T) (map[string]string, string, string) {
		name, _, p := fresh(t)
		id := int64(user(t, s, name).ID)
		return map[string]string{"username": name + "y", "email": name + "@example.org", "bio": "b"}, p.Access, fmt.Sprintf("/api/accounts/profiles/%d/", id)
	}
	admin := func(t *testing.T) (map[string]string, string, string) {
		name, _, _ := fresh(t)
		id := int64(user(t, s, name).ID)
		return map[string]string{"username": name + "z", "email": name + "@example.net", "bio": "b", "is_staff": "false", "is_active": "true"},
			staff.Access, fmt.Sprintf("/api/admin/users/%d/", id)
	}
	endpoints := []endpoint{
		{http.MethodPost, pathRegister, register},
		{http.MethodPost, accountsRegister, register},
		{http.MethodPost, pathToken, login},
		{http.MethodPost, "/api/accounts/login/", login},
		{http.MethodPost, tokenAuthPath, login},
		{http.MethodPost, pathRefresh, tokenField("refresh")},
		{http.MethodPost, pathVerify, tokenField("token")},
		{http.MethodPost, pathBlacklist, tokenField("refresh")},
		{http.MethodPost, pathLogout, tokenField("refresh")},
		{http.MethodPatch, pathProfile, own},
		{http.MethodPut, pathProfile, own},
		{http.MethodPatch, "", public},
		{http.MethodPatch, "", admin},
		{http.MethodPost, pathPassword, func(t *testing.T) (map[string]string, string, string) {
			_, pw, p := fresh(t)
			return map[string]string{"old_password": pw, "new_password": "N3w-" + strongPassword}, p.Access, ""
		}},
		{http.MethodDelete, pathProfile, func(t *testing.T) (map[string]string, string, string) {
			_, pw, p := fresh(t)
			return map[string]string{"password": pw}, p.Access, ""
		}},
		{http.MethodPost, "/api/auth/password/reset/", func(t *testing.T) (map[string]string, string, string) {
			name, _, _ := fresh(t)
			return map[string]string{"email": name + "@example.com"}, "", ""
		}},
		{http.MethodPost, "/api/auth/password/reset/confirm/", func(t *testing.T) (map[string]string, string, string) {
			return map[string]string{"token": "abc.def", "new_password": "N3w-" + strongPassword}, "", ""
		}},
	}
	wholeBodies := map[string]string{
		"deep arrays":         strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
		"deep objects":        strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000),
		"huge number":         "1e999999",
		"invalid UTF-8 key":   "{\"\xff\":\"a\"}",
		"invalid UTF-8 space": "{\"a\":\"b\"}\xff",
		"raw control byte":    "{\"username\":\"a\x00b\"}",
	}
	for _, ep := range endpoints {
		fields, _, path := ep.setup(t)
		if path == "" {
			path = ep.path
		}
		for name, raw := range wholeBodies {
			t.Run(fmt.Sprintf("%s %s %s", ep.method, path, name), func(t *testing.T) {
				_, bearer, p := ep.setup(t)
				if p == "" {
					p = ep.path
				}
				r := s.Do(testserver.Request{Method: ep.method, Path: p, Body: strings.NewReader(raw), ContentType: "application/json", Bearer: bearer})
				wantNo5xx(t, r)
				if r.Status < 400 {
					t.Fatalf("status %d for a body that is not an object of fields: %s", r.Status, r.Body)
				}
			})
		}
		for field := range fields {
			for _, hv := range hostileValues {
				t.Run(fmt.Sprintf("%s %s %s %s", ep.method, path, field, hv.name), func(t *testing.T) {
					fields, bearer, p := ep.setup(t)
					if p == "" {
						p = ep.path
					}
					body, ct := hv.body(fields, field, hv.value)
					wantNo5xx(t, s.Do(testserver.Request{Method: ep.method, Path: p, Body: body, ContentType: ct, Bearer: bearer}))
				})
			}
		}
	}
}

// TestHostileQueryPathHeader sends NUL and invalid UTF-8 in query strings,
// path parameters and the User-Agent header.
func TestHostileQueryPathHeader(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	staff, _ := newStaff(t, s, "qstaff")
	for _, bad := range []string{"%00", "a%00b", "%FF", "a%C0%AFb", "%ED%A0%80"} {
		for _, path := range []string{
			"/api/accounts/profiles/?search=" + bad,
			adminUsersPath + "?search=" + bad,
			adminUsersPath + "?page=" + bad,
			pathSessions + "?page_size=" + bad,
			"/api/accounts/profiles/" + bad + "/",
			adminUsersPath + bad + "/",
			"/media/profile_pictures/" + bad,
		} {
			t.Run("GET "+path, func(t *testing.T) {
				wantNo5xx(t, s.Do(testserver.Request{Method: http.MethodGet, Path: path, Bearer: staff.Access}))
			})
		}
		t.Run("DELETE session "+bad, func(t *testing.T) {
			r := s.Do(testserver.Request{Method: http.MethodDelete, Path: pathSessions + bad + "/", Bearer: staff.Access})
			wantNo5xx(t, r)
			wantStatus(t, r, http.StatusNotFound)
		})
	}
}
