package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"authsvc/accounts"
	"authsvc/internal/testserver"
	"authsvc/models"
)

const profilesPath = "/api/accounts/profiles/"

// person is a registered, logged-in test user.
type person struct {
	ID     int64
	Name   string
	Access string
}

func newPerson(t *testing.T, s *testserver.Server, name string) person {
	t.Helper()
	pair, _ := newUser(t, s, name)
	r := s.Do(testserver.Request{Method: "GET", Path: "/api/auth/profile/", Bearer: pair.Access})
	return person{ID: int64(r.JSON(t)["id"].(float64)), Name: name, Access: pair.Access}
}

func makeStaff(t *testing.T, s *testserver.Server, p person) {
	t.Helper()
	if err := s.App.Store.UpdateUser(context.Background(), p.ID, map[string]any{"is_staff": true}); err != nil {
		t.Fatal(err)
	}
}

// ownerOtherStaff starts a server with alice, bob and the staff user boss.
func ownerOtherStaff(t *testing.T) (s *testserver.Server, alice, bob, staff person) {
	s = testserver.New(t, testserver.Options{})
	alice, bob, staff = newPerson(t, s, "alice"), newPerson(t, s, "bob"), newPerson(t, s, "boss")
	makeStaff(t, s, staff)
	return s, alice, bob, staff
}

func profileURL(id int64, rest string) string { return fmt.Sprintf("%s%d/%s", profilesPath, id, rest) }

func call(s *testserver.Server, who person, method, path string, body any) *testserver.Response {
	return s.Do(testserver.Request{Method: method, Path: path, Bearer: who.Access, JSON: body})
}

func TestProfilesAnonymousIs401(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	alice := newPerson(t, s, "alice")
	for _, rt := range []struct{ method, path string }{
		{"GET", profilesPath}, {"GET", profileURL(alice.ID, "")}, {"PATCH", profileURL(alice.ID, "")},
		{"PUT", profileURL(alice.ID, "")}, {"POST", profileURL(alice.ID, "follow/")},
		{"DELETE", profileURL(alice.ID, "follow/")}, {"GET", profileURL(alice.ID, "followers/")},
		{"GET", profileURL(alice.ID, "following/")}, {"GET", strings.TrimSuffix(profilesPath, "/")},
	} {
		r := s.Do(testserver.Request{Method: rt.method, Path: rt.path, JSON: map[string]string{"bio": "x"}})
		if r.Status != http.StatusUnauthorized || r.Str(t, "code") != "not_authenticated" ||
			r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s anonymous: %d %s", rt.method, rt.path, r.Status, r.Body)
		}
	}
}

// TestProfileEditPermissions covers owner, staff and the IDOR attempt of a
// plain user editing someone else's profile by id.
func TestProfileEditPermissions(t *testing.T) {
	t.Parallel()
	s, alice, bob, staff := ownerOtherStaff(t)
	before := call(s, alice, "GET", "/api/auth/profile/", nil).Body

	for _, method := range []string{"PATCH", "PUT"} {
		r := call(s, bob, method, profileURL(alice.ID, ""), map[string]string{"username": "bob_was_here", "bio": "pwned", "email": "bob@evil.example"})
		if r.Status != http.StatusForbidden || r.Str(t, "code") != "permission_denied" {
			t.Fatalf("bob %s alice: %d %s", method, r.Status, r.Body)
		}
	}
	if after := call(s, alice, "GET", "/api/auth/profile/", nil).Body; !bytes.Equal(before, after) {
		t.Fatalf("refused edits changed alice:\n%s\n%s", before, after)
	}

	r := call(s, alice, "PATCH", profileURL(alice.ID, ""), map[string]any{"bio": "mine", "followers_count": 1000, "is_staff": true})
	if r.Status != http.StatusOK || r.Str(t, "bio") != "mine" || r.JSON(t)["followers_count"].(float64) != 0 {
		t.Fatalf("owner PATCH: %d %s", r.Status, r.Body)
	}
	if _, has := r.JSON(t)["is_staff"]; has {
		t.Fatalf("public profile shows is_staff: %s", r.Body)
	}
	r = call(s, staff, "PATCH", profileURL(alice.ID, ""), map[string]string{"bio": "moderated"})
	if r.Status != http.StatusOK || r.Str(t, "bio") != "moderated" {
		t.Fatalf("staff PATCH: %d %s", r.Status, r.Body)
	}
	r = call(s, staff, "PATCH", profileURL(alice.ID, ""), map[string]string{"password": "Another-long-Pass-7", "current_password": testPassword})
	if r.Status != http.StatusBadRequest {
		t.Fatalf("staff setting alice's password: %d %s", r.Status, r.Body)
	}
	r = call(s, alice, "PUT", profileURL(alice.ID, ""), map[string]string{"bio": "no username"})
	if r.Status != http.StatusBadRequest || r.JSON(t)["username"] == nil {
		t.Fatalf("PUT without username: %d %s", r.Status, r.Body)
	}
	if me := call(s, alice, "GET", "/api/auth/profile/", nil); me.JSON(t)["is_staff"] != false {
		t.Fatalf("is_staff applied from a body: %s", me.Body)
	}
	for _, p := range []string{profileURL(99999, ""), profilesPath + "abc/", profilesPath + "0/", profilesPath + "-1/"} {
		if r := call(s, staff, "PATCH", p, map[string]string{"bio": "x"}); r.Status != http.StatusNotFound {
			t.Errorf("PATCH %s: %d %s", p, r.Status, r.Body)
		}
	}
}

func TestProfileEmailVisibility(t *testing.T) {
	t.Parallel()
	s, alice, bob, staff := ownerOtherStaff(t)
	before := outboxMails(t, s)
	if r := call(s, alice, "PATCH", "/api/auth/profile/", map[string]string{"email": "alice@example.com", "current_password": testPassword}); r.Status != http.StatusOK {
		t.Fatalf("set email: %d %s", r.Status, r.Body)
	}
	tests := []struct {
		viewer person
		want   bool
	}{{alice, true}, {staff, true}, {bob, false}}
	// A pending address is the owner's business: no public profile shows
	// it, to anyone, and the address stays empty until the link is used.
	for _, tt := range tests {
		for _, path := range []string{profileURL(alice.ID, ""), profilesPath + "?search=alice"} {
			if r := call(s, tt.viewer, "GET", path, nil); strings.Contains(string(r.Body), "alice@example.com") ||
				strings.Contains(string(r.Body), "pending_email") {
				t.Errorf("%s viewing %s before the link: %s", tt.viewer.Name, path, r.Body)
			}
		}
	}
	link, _ := newLink(t, before, outboxMails(t, s), defaultVerifyPage)
	wantStatus(t, verifyEmail(s, link), http.StatusOK)

	for _, tt := range tests {
		detail := call(s, tt.viewer, "GET", profileURL(alice.ID, ""), nil).JSON(t)
		list := call(s, tt.viewer, "GET", profilesPath+"?search=alice", nil).JSON(t)["results"].([]any)[0].(map[string]any)
		for where, m := range map[string]map[string]any{"detail": detail, "list": list} {
			email, has := m["email"]
			if has != tt.want || (has && email != "alice@example.com") {
				t.Errorf("%s viewing alice (%s): email %v present=%v, want present=%v", tt.viewer.Name, where, email, has, tt.want)
			}
			if _, has := m["last_login"]; has {
				t.Errorf("%s: last_login shown in a public profile", where)
			}
		}
	}
}

func TestProfilesPagination(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	viewer := newPerson(t, s, "viewer")
	ctx := context.Background()
	for i := range 104 { // 105 users with the viewer
		name := fmt.Sprintf("user%03d", i)
		u := &models.User{Username: name, UsernameKey: accounts.UsernameKey(name), PasswordHash: "!", IsActive: true, DateJoined: time.Now().UTC()}
		if err := s.App.Store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		query          string
		status, n      int
		next, previous bool
	}{
		{"", 200, 20, true, false},
		{"?page=2&page_size=50", 200, 50, true, true},
		{"?page=3&page_size=50", 200, 5, false, true},
		{"?page=4&page_size=50", 404, 0, false, false},
		{"?page=0", 404, 0, false, false},
		{"?page=-1", 404, 0, false, false},
		{"?page=x", 404, 0, false, false},
		{"?page_size=1000", 200, 100, true, false},
		{"?page=2&page_size=1000", 200, 5, false, true},
		{"?page_size=0", 200, 20, true, false},
	}
	for _, tt := range tests {
		r := call(s, viewer, "GET", profilesPath+tt.query, nil)
		if r.Status != tt.status {
			t.Errorf("%s: %d %s", tt.query, r.Status, r.Body)
			continue
		}
		m := r.JSON(t)
		if tt.status != 200 {
			if m["detail"] != "Invalid page." {
				t.Errorf("%s: %s", tt.query, r.Body)
			}
			continue
		}
		if m["count"].(float64) != 105 || len(m["results"].([]any)) != tt.n ||
			(m["next"] != nil) != tt.next || (m["previous"] != nil) != tt.previous {
			t.Errorf("%s: count %v, %d results, next %v, previous %v", tt.query, m["count"], len(m["results"].([]any)), m["next"], m["previous"])
		}
		if tt.query == "?page_size=1000" && !strings.Contains(m["next"].(string), "page_size=100&") &&
			!strings.HasSuffix(m["next"].(string), "page_size=100") {
			t.Errorf("next link does not carry the clamped size: %v", m["next"])
		}
	}
}

func TestProfilesSearch(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	viewer := newPerson(t, s, "viewer")
	for _, n := range []string{"Alice", "malice", "bob", "a_b", "axb", "a.b"} {
		newPerson(t, s, n)
	}
	tests := []struct {
		search string
		want   []string
	}{
		{"ALI", []string{"Alice", "malice"}},
		{"a_b", []string{"a_b"}},
		{"%", nil},
		{"_", []string{"a_b"}},
		{"a.b", []string{"a.b"}},
		{"nobody", nil},
		{"  ali ,  ICE ", []string{"Alice", "malice"}},
		{"ali mal", []string{"malice"}},
		{"a\x00li", []string{"Alice", "malice"}},
		{"", []string{"viewer", "Alice", "malice", "bob", "a_b", "axb", "a.b"}},
	}
	for _, tt := range tests {
		r := call(s, viewer, "GET", profilesPath+"?search="+url.QueryEscape(tt.search), nil)
		var body struct {
			Count   int `json:"count"`
			Results []struct {
				Username string `json:"username"`
			} `json:"results"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || r.Status != 200 {
			t.Fatalf("search %q: %d %s", tt.search, r.Status, r.Body)
		}
		var got []string
		for _, x := range body.Results {
			got = append(got, x.Username)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") || body.Count != len(tt.want) {
			t.Errorf("search %q: %v (count %d), want %v", tt.search, got, body.Count, tt.want)
		}
	}
}
