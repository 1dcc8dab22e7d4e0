package handlers_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"authsvc/internal/testserver"
	"authsvc/models"
)

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
