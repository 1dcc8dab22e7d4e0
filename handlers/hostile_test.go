package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
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
	h := &hostileSetups{s: s, staff: staff}
	wholeBodies := hostileWholeBodies()
	for _, ep := range h.endpoints() {
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

// hostileWholeBodies are JSON bodies that are not an object of fields at
// all, by name.
func hostileWholeBodies() map[string]string {
	return map[string]string{
		"deep arrays":         strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
		"deep objects":        strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000),
		"huge number":         "1e999999",
		"invalid UTF-8 key":   "{\"\xff\":\"a\"}",
		"invalid UTF-8 space": "{\"a\":\"b\"}\xff",
		"raw control byte":    "{\"username\":\"a\x00b\"}",
	}
}

// hostileEndpoint is one endpoint that reads a body.
type hostileEndpoint struct {
	method, path string
	// setup returns the valid body, the bearer token and the path
	// for one request, using a fresh user where the call changes it.
	setup hostileSetup
}

type hostileSetup func(t *testing.T) (fields map[string]string, bearer, path string)

// endpoints lists every endpoint that reads a body, with its setup.
func (h *hostileSetups) endpoints() []hostileEndpoint {
	return []hostileEndpoint{
		{http.MethodPost, pathRegister, h.register},
		{http.MethodPost, accountsRegister, h.register},
		{http.MethodPost, pathToken, h.login},
		{http.MethodPost, "/api/accounts/login/", h.login},
		{http.MethodPost, tokenAuthPath, h.login},
		{http.MethodPost, pathRefresh, h.tokenField("refresh")},
		{http.MethodPost, pathVerify, h.tokenField("token")},
		{http.MethodPost, pathBlacklist, h.tokenField("refresh")},
		{http.MethodPost, pathLogout, h.tokenField("refresh")},
		{http.MethodPatch, pathProfile, h.own},
		{http.MethodPut, pathProfile, h.own},
		{http.MethodPatch, "", h.public},
		{http.MethodPatch, "", h.admin},
		{http.MethodPost, pathPassword, h.passwordChange},
		{http.MethodDelete, pathProfile, h.deleteAccount},
		{http.MethodPost, "/api/auth/password/reset/", h.resetRequest},
		{http.MethodPost, "/api/auth/password/reset/confirm/", h.resetConfirm},
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
