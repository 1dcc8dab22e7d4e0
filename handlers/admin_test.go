package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"authsvc/accounts"
	"authsvc/internal/testserver"
	"authsvc/models"
)

func TestAdminPermissions(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	staffPair, staffPW := newStaff(t, s, "boss")
	plainPair, plainPW := s.NewUser("pleb")
	staffKey, plainKey := obtainKey(t, s, "boss", staffPW), obtainKey(t, s, "pleb", plainPW)
	s.NewUser("target")
	id := user(t, s, "target").ID
	detail := fmt.Sprintf("%s%d/", adminUsersPath, id)

	endpoints := []struct {
		method, path string
		body         any
		ok           int
	}{
		{http.MethodGet, adminUsersPath, nil, http.StatusOK},
		{http.MethodGet, detail, nil, http.StatusOK},
		{http.MethodPatch, detail, map[string]any{"is_staff": false}, http.StatusOK},
		{http.MethodPost, detail + "logout/", nil, http.StatusOK},
	}
	callers := []struct {
		name          string
		bearer, token string
		status        int
		want          string
	}{
		{"anonymous", "", "", http.StatusUnauthorized, bodyNoAuth},
		{"plain bearer", plainPair.Access, "", http.StatusForbidden, bodyDenied},
		{"plain token", "", plainKey, http.StatusForbidden, bodyDenied},
		{"staff bearer", staffPair.Access, "", 0, ""},
		{"staff token", "", staffKey, 0, ""},
	}
	for _, e := range endpoints {
		for _, c := range callers {
			t.Run(e.method+" "+e.path+" "+c.name, func(t *testing.T) {
				r := s.Do(testserver.Request{Method: e.method, Path: e.path, JSON: e.body, Bearer: c.bearer, Token: c.token})
				if c.want != "" {
					wantJSON(t, r, c.status, c.want)
					return
				}
				if r.Status != e.ok {
					t.Fatalf("staff: %d %s", r.Status, r.Body)
				}
			})
		}
	}
}

func TestAdminIDOR(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	plain, _ := s.NewUser("mallory")
	s.NewUser("victim")
	victim := user(t, s, "victim")
	me := user(t, s, "mallory")
	for _, tc := range []struct {
		name string
		id   int64
		body map[string]any
	}{
		{"promote self", me.ID, map[string]any{"is_staff": true}},
		{"deactivate other", victim.ID, map[string]any{"is_active": false}},
		{"promote other", victim.ID, map[string]any{"is_staff": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(testserver.Request{Method: http.MethodPatch, Path: fmt.Sprintf("%s%d/", adminUsersPath, tc.id), JSON: tc.body, Bearer: plain.Access})
			wantJSON(t, r, http.StatusForbidden, bodyDenied)
		})
	}
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: fmt.Sprintf("%s%d/logout/", adminUsersPath, victim.ID), Bearer: plain.Access})
	wantJSON(t, r, http.StatusForbidden, bodyDenied)
	for _, name := range []string{"victim", "mallory"} {
		if u := user(t, s, name); u.IsStaff || !u.IsActive {
			t.Fatalf("%s changed by a refused request: staff=%v active=%v", name, u.IsStaff, u.IsActive)
		}
	}
}

func TestAdminListSearchAndPages(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	staff, _ := newStaff(t, s, "admin")
	ctx := context.Background()
	for i := range 104 {
		name := fmt.Sprintf("User_%03d", i)
		u := &models.User{Username: name, UsernameKey: accounts.UsernameKey(name), PasswordHash: "x", IsActive: true, DateJoined: s.Clock.Now()}
		if err := s.App.Store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	list := func(q string) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodGet, Path: adminUsersPath + "?" + q, Bearer: staff.Access})
	}
	for _, tc := range []struct {
		query       string
		count, size int
		next, prev  bool
	}{
		{"", 105, 20, true, false},
		{"page_size=1000", 105, 100, true, false},
		{"page=2&page_size=100", 105, 5, false, true},
		{"search=user_01", 10, 10, false, false},
		{"search=USER_10", 4, 4, false, false},
		{"search=" + url.QueryEscape("_1"), 4, 4, false, false}, // "_" is literal, not a LIKE wildcard
		{"search=%25", 0, 0, false, false},
		{"search=admin", 1, 1, false, false},
		{"search=nobody-at-all", 0, 0, false, false},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := list(tc.query)
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			m := r.JSON(t)
			results, _ := m["results"].([]any)
			if m["count"] != float64(tc.count) || len(results) != tc.size || (m["next"] != nil) != tc.next || (m["previous"] != nil) != tc.prev {
				t.Fatalf("count=%v results=%d next=%v previous=%v", m["count"], len(results), m["next"], m["previous"])
			}
		})
	}
	r := list("search=admin")
	first := r.JSON(t)["results"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "username", "email", "is_active", "is_staff", "last_login", "date_joined"} {
		if _, ok := first[k]; !ok {
			t.Fatalf("field %s missing: %v", k, first)
		}
	}
	if _, ok := first["password_hash"]; ok || first["is_staff"] != true || first["last_login"] == nil {
		t.Fatalf("admin row: %v", first)
	}
	for _, q := range []string{"page=0", "page=-1", "page=abc", "page=3&page_size=100", "page=7"} {
		t.Run(q, func(t *testing.T) { wantJSON(t, list(q), http.StatusNotFound, bodyInvalidPage) })
	}
}

func TestAdminUpdateUser(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	staff, _ := newStaff(t, s, "chief")
	s.NewUser("worker")
	me, other := user(t, s, "chief").ID, user(t, s, "worker").ID
	path := func(id int64) string { return fmt.Sprintf("%s%d/", adminUsersPath, id) }
	patch := func(id int64, body any, ct string) *testserver.Response {
		req := testserver.Request{Method: http.MethodPatch, Path: path(id), JSON: body, Bearer: staff.Access}
		if ct != "" {
			req.JSON, req.Body, req.ContentType = nil, strings.NewReader(body.(string)), ct
		}
		return s.Do(req)
	}
	for _, tc := range []struct {
		name   string
		id     int64
		body   any
		ct     string
		status int
		want   string // exact body for errors
		staff  *bool  // expected is_staff of worker after a 200
	}{
		{"promote", other, map[string]any{"is_staff": true, "username": "renamed", "is_superuser": true}, "", 200, "", ptr(true)},
		{"demote by form", other, "is_staff=false", "application/x-www-form-urlencoded", 200, "", ptr(false)},
		{"promote by form True", other, "is_staff=True", "application/x-www-form-urlencoded", 200, "", ptr(true)},
		{"string in json", other, map[string]any{"is_staff": "false"}, "", 200, "", ptr(false)},
		{"number in json", other, map[string]any{"is_staff": 1}, "", 200, "", ptr(true)},
		{"zero in json", other, map[string]any{"is_staff": 0}, "", 200, "", ptr(false)},
		{"empty body", other, map[string]any{}, "", 200, "", ptr(false)},
		{"not a boolean", other, map[string]any{"is_staff": "maybe", "is_active": 3}, "", 400, `{"is_staff":["Must be a valid boolean."],"is_active":["Must be a valid boolean."]}`, nil},
		{"null", other, map[string]any{"is_active": nil}, "", 400, `{"is_active":["This field may not be null."]}`, nil},
		{"self demotion", me, map[string]any{"is_staff": false}, "", 400, `{"is_staff":["You cannot remove your own staff status."]}`, nil},
		{"self deactivation", me, map[string]any{"is_active": false}, "", 400, `{"is_active":["You cannot deactivate your own account."]}`, nil},
		{"self deactivation by form", me, "is_active=0", "application/x-www-form-urlencoded", 400, `{"is_active":["You cannot deactivate your own account."]}`, nil},
		{"self no-op", me, map[string]any{"is_staff": true, "is_active": true}, "", 200, "", nil},
		{"unknown id", 999999, map[string]any{"is_staff": true}, "", 404, bodyNotFound, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := patch(tc.id, tc.body, tc.ct)
			if tc.want != "" {
				wantJSON(t, r, tc.status, tc.want)
			} else if r.Status != tc.status {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if tc.staff != nil {
				if r.JSON(t)["is_staff"] != *tc.staff || user(t, s, "worker").IsStaff != *tc.staff {
					t.Fatalf("is_staff not %v: %s", *tc.staff, r.Body)
				}
			}
		})
	}
	if u := user(t, s, "worker"); u.IsSuperuser {
		t.Fatal("is_superuser was writable")
	}
	if u := user(t, s, "chief"); !u.IsStaff || !u.IsActive {
		t.Fatal("a refused self-change was applied")
	}
	for _, p := range []string{adminUsersPath + "abc/", adminUsersPath + "0/", adminUsersPath + "999999/"} {
		wantJSON(t, s.Do(testserver.Request{Method: http.MethodGet, Path: p, Bearer: staff.Access}), http.StatusNotFound, bodyNotFound)
	}
	r := s.Do(testserver.Request{Method: http.MethodPut, Path: path(other), JSON: map[string]any{}, Bearer: staff.Access})
	if r.Status != http.StatusMethodNotAllowed {
		t.Fatalf("PUT: %d", r.Status)
	}
}

func ptr(b bool) *bool { return &b }

// TestAdminEndsAccess: deactivation and the admin logout end every session
// and key of the user at once, and reactivating does not bring them back.
func TestAdminEndsAccess(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		method string
		suffix string
		body   any
	}{
		{"deactivate", http.MethodPatch, "", map[string]any{"is_active": false}},
		{"admin logout", http.MethodPost, "logout/", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t, testserver.Options{})
			staff, _ := newStaff(t, s, "warden")
			pair, pw := s.NewUser("inmate")
			key := obtainKey(t, s, "inmate", pw)
			path := fmt.Sprintf("%s%d/%s", adminUsersPath, user(t, s, "inmate").ID, tc.suffix)

			r := s.Do(testserver.Request{Method: tc.method, Path: path, JSON: tc.body, Bearer: staff.Access})
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if tc.method == http.MethodPost {
				wantJSON(t, r, http.StatusOK, `{}`)
			} else if r.JSON(t)["is_active"] != false {
				t.Fatalf("body: %s", r.Body)
			}
			if tc.method == http.MethodPatch {
				wantJSON(t, getWithKey(s, profilePath, key), http.StatusUnauthorized, bodyInvalidKey)
				wantJSON(t, s.Post(tokenAuthPath, map[string]string{"username": "inmate", "password": pw}), http.StatusBadRequest, bodyBadLogin)
				r := s.Do(testserver.Request{Method: http.MethodPatch, Path: path, JSON: map[string]any{"is_active": true}, Bearer: staff.Access})
				if r.Status != http.StatusOK || r.JSON(t)["is_active"] != true {
					t.Fatalf("reactivate: %d %s", r.Status, r.Body)
				}
			}
			wantJSON(t, getWithKey(s, profilePath, key), http.StatusUnauthorized, bodyInvalidKey)
			if r := s.Do(testserver.Request{Method: http.MethodGet, Path: profilePath, Bearer: pair.Access}); r.Status != http.StatusUnauthorized {
				t.Fatalf("access token: %d %s", r.Status, r.Body)
			}
			if r := s.Post("/api/auth/token/refresh/", map[string]string{"refresh": pair.Refresh}); r.Status != http.StatusUnauthorized {
				t.Fatalf("refresh token: %d %s", r.Status, r.Body)
			}
			// The user can log in again afterwards.
			obtainKey(t, s, "inmate", pw)
			// The staff member's own access is untouched.
			if r := s.Do(testserver.Request{Method: http.MethodGet, Path: profilePath, Bearer: staff.Access}); r.Status != http.StatusOK {
				t.Fatalf("staff access: %d", r.Status)
			}
		})
	}
	s := testserver.New(t, testserver.Options{})
	staff, _ := newStaff(t, s, "warden")
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: adminUsersPath + "424242/logout/", Bearer: staff.Access})
	wantJSON(t, r, http.StatusNotFound, bodyNotFound)
}
