package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
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
	if r := call(s, alice, "PATCH", "/api/auth/profile/", map[string]string{"email": "alice@example.com", "current_password": testPassword}); r.Status != http.StatusOK {
		t.Fatalf("set email: %d %s", r.Status, r.Body)
	}

	tests := []struct {
		viewer person
		want   bool
	}{{alice, true}, {staff, true}, {bob, false}}
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

func TestFollowUnfollow(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	alice := newPerson(t, s, "alice")
	bob := newPerson(t, s, "bob")
	carol := newPerson(t, s, "carol")
	counts := func(r *testserver.Response) (followers, following float64, isFollowing bool) {
		m := r.JSON(t)
		return m["followers_count"].(float64), m["following_count"].(float64), m["is_following"].(bool)
	}
	for i := range 2 { // the second round proves idempotency
		r := call(s, bob, "POST", profileURL(alice.ID, "follow/"), nil)
		if f, _, is := counts(r); r.Status != 200 || f != 1 || !is {
			t.Fatalf("follow #%d: %d %s", i+1, r.Status, r.Body)
		}
	}
	if r := call(s, bob, "GET", "/api/auth/profile/", nil); r.JSON(t)["following_count"].(float64) != 1 {
		t.Fatalf("bob's following_count: %s", r.Body)
	}
	if _, _, is := counts(call(s, carol, "GET", profileURL(alice.ID, ""), nil)); is {
		t.Fatal("is_following true for a viewer who does not follow")
	}
	s.Clock.Advance(time.Second) // followers are listed newest first
	call(s, carol, "POST", profileURL(alice.ID, "follow/"), nil)

	r := call(s, bob, "GET", profileURL(alice.ID, "followers/"), nil)
	var page struct {
		Count   int `json:"count"`
		Results []struct {
			Username    string `json:"username"`
			IsFollowing bool   `json:"is_following"`
		} `json:"results"`
	}
	if err := json.Unmarshal(r.Body, &page); err != nil || page.Count != 2 || len(page.Results) != 2 ||
		page.Results[0].Username != "carol" || page.Results[1].Username != "bob" {
		t.Fatalf("alice's followers: %d %s", r.Status, r.Body)
	}
	r = call(s, alice, "GET", profileURL(bob.ID, "following/"), nil)
	if err := json.Unmarshal(r.Body, &page); err != nil || page.Count != 1 || page.Results[0].Username != "alice" || page.Results[0].IsFollowing {
		t.Fatalf("bob's following seen by alice: %d %s", r.Status, r.Body)
	}
	r = call(s, bob, "GET", profilesPath+"?search=alice", nil)
	if !strings.Contains(string(r.Body), `"is_following":true`) {
		t.Fatalf("list lacks is_following for bob: %s", r.Body)
	}
	if r := call(s, alice, "GET", profileURL(alice.ID, "following/")+"?page=2", nil); r.Status != 404 {
		t.Fatalf("empty list page 2: %d %s", r.Status, r.Body)
	}

	for i := range 2 {
		r := call(s, bob, "DELETE", profileURL(alice.ID, "follow/"), nil)
		if f, _, is := counts(r); r.Status != 200 || f != 1 || is {
			t.Fatalf("unfollow #%d: %d %s", i+1, r.Status, r.Body)
		}
	}

	tests := []struct {
		method, path string
		status       int
	}{
		{"POST", profileURL(bob.ID, "follow/"), 400},
		{"DELETE", profileURL(bob.ID, "follow/"), 400},
		{"POST", profileURL(99999, "follow/"), 404},
		{"DELETE", profileURL(99999, "follow/"), 404},
		{"GET", profileURL(99999, "followers/"), 404},
		{"GET", profileURL(99999, "following/"), 404},
		{"GET", profileURL(99999, ""), 404},
		{"POST", profilesPath + "abc/follow/", 404},
		{"GET", profileURL(alice.ID, "follow/"), 405},
	}
	for _, tt := range tests {
		if r := call(s, bob, tt.method, tt.path, nil); r.Status != tt.status {
			t.Errorf("%s %s: %d %s, want %d", tt.method, tt.path, r.Status, r.Body, tt.status)
		}
	}
	if r := call(s, bob, "GET", "/api/auth/profile/", nil); r.JSON(t)["following_count"].(float64) != 0 {
		t.Fatalf("refused follows moved bob's count: %s", r.Body)
	}
}

// TestDeleteAccountDropsFollows: the edges go and the other side's counters
// come down with them.
func TestDeleteAccountDropsFollows(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	alice := newPerson(t, s, "alice")
	bob := newPerson(t, s, "bob")
	carol := newPerson(t, s, "carol")
	dave := newPerson(t, s, "dave")
	call(s, alice, "POST", profileURL(bob.ID, "follow/"), nil)
	call(s, alice, "POST", profileURL(carol.ID, "follow/"), nil)
	call(s, dave, "POST", profileURL(alice.ID, "follow/"), nil)
	call(s, dave, "POST", profileURL(bob.ID, "follow/"), nil)
	if r := call(s, alice, "DELETE", "/api/auth/profile/", map[string]string{"password": testPassword}); r.Status != 204 {
		t.Fatalf("delete alice: %d %s", r.Status, r.Body)
	}
	want := map[person][2]float64{bob: {1, 0}, carol: {0, 0}, dave: {0, 1}}
	for p, w := range want {
		m := call(s, dave, "GET", profileURL(p.ID, ""), nil).JSON(t)
		if m["followers_count"] != w[0] || m["following_count"] != w[1] {
			t.Errorf("%s after alice left: followers %v following %v, want %v", p.Name, m["followers_count"], m["following_count"], w)
		}
	}
	var n int64
	s.App.Store.R.Model(&models.Follow{}).Where("follower_id = ? OR followee_id = ?", alice.ID, alice.ID).Count(&n)
	if n != 0 {
		t.Fatalf("%d follow rows of the deleted user left", n)
	}
}

// TestFollowRace: 50 users follow and unfollow one profile at once, some
// twice in parallel; the counters end equal to the edges in the database.
func TestFollowRace(t *testing.T) {
	t.Parallel()
	runFollowRace(t, testserver.New(t, testserver.Options{}))
}

// TestFollowDeleteRace: accounts are deleted while they follow and are
// followed; the survivors' counters still equal their edges.
func TestFollowDeleteRace(t *testing.T) {
	t.Parallel()
	runFollowDeleteRace(t, testserver.New(t, testserver.Options{}))
}

// send makes one request from a goroutine (no t.Fatal there) and wants 200
// or 204.
func send(s *testserver.Server, p person, method, path string, body string) error {
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+p.Access)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("%s %s %s: %d", p.Name, method, path, resp.StatusCode)
	}
	return nil
}

// together runs each job in its own goroutine, released at once, and
// reports their errors.
func together(t *testing.T, jobs []func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(jobs))
	start := make(chan struct{})
	for _, job := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := job(); err != nil {
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// checkCounts compares every user's counters with the follows table.
func checkCounts(t *testing.T, s *testserver.Server) {
	t.Helper()
	db := s.App.Store.R
	var users []models.User
	if err := db.Order("id").Find(&users).Error; err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		var followers, following int64
		db.Model(&models.Follow{}).Where("followee_id = ?", u.ID).Count(&followers)
		db.Model(&models.Follow{}).Where("follower_id = ?", u.ID).Count(&following)
		if u.FollowersCount != followers || u.FollowingCount != following {
			t.Errorf("%s: followers_count %d (edges %d), following_count %d (edges %d)",
				u.Username, u.FollowersCount, followers, u.FollowingCount, following)
		}
	}
}

func runFollowRace(t *testing.T, s *testserver.Server) {
	star := newPerson(t, s, "star")
	var jobs []func() error
	for i := range 50 {
		fan := newPerson(t, s, fmt.Sprintf("fan%02d", i))
		// Two workers per fan, so duplicate follows race; fans with an odd
		// index end by unfollowing, twice at once.
		steps := []string{"POST", "DELETE", "POST"}
		if i%2 == 1 {
			steps = append(steps, "DELETE")
		}
		for range 2 {
			jobs = append(jobs, func() error {
				for _, m := range steps {
					if err := send(s, fan, m, profileURL(star.ID, "follow/"), ""); err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	together(t, jobs)
	var edges int64
	s.App.Store.R.Model(&models.Follow{}).Where("followee_id = ?", star.ID).Count(&edges)
	m := call(s, star, "GET", profileURL(star.ID, ""), nil).JSON(t)
	if int64(m["followers_count"].(float64)) != edges || edges != 25 {
		t.Fatalf("followers_count %v, edges %d, want 25", m["followers_count"], edges)
	}
	checkCounts(t, s)
}

func runFollowDeleteRace(t *testing.T, s *testserver.Server) {
	star := newPerson(t, s, "star")
	var fans []person
	for i := range 20 {
		fan := newPerson(t, s, fmt.Sprintf("fan%02d", i))
		fans = append(fans, fan)
		call(s, star, "POST", profileURL(fan.ID, "follow/"), nil)
	}
	var jobs []func() error
	for i, fan := range fans {
		jobs = append(jobs, func() error { return send(s, fan, "POST", profileURL(star.ID, "follow/"), "") })
		if i%2 == 0 {
			// The follow above may land before or after the deletion; a 401
			// or 404 for a request after it is fine, so only log those.
			jobs = append(jobs, func() error {
				return send(s, fan, "DELETE", "/api/auth/profile/", `{"password":"`+testPassword+`"}`)
			})
		}
	}
	var wg sync.WaitGroup
	for _, job := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := job(); err != nil {
				t.Log(err)
			}
		}()
	}
	wg.Wait()
	var left int64
	s.App.Store.R.Model(&models.User{}).Count(&left)
	if left != 11 {
		t.Fatalf("%d users left, want 11 (star and the odd fans)", left)
	}
	checkCounts(t, s)
	m := call(s, star, "GET", profileURL(star.ID, ""), nil).JSON(t)
	if m["following_count"].(float64) != 10 || m["followers_count"].(float64) != 10 {
		t.Fatalf("star after the deletions: %v", m)
	}
}
