package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"authsvc/internal/testserver"
	"authsvc/models"
)

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
