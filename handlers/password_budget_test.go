package handlers_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// passwordCheck is one endpoint that checks the password of a known user.
type passwordCheck struct {
	name string
	// send checks pw for the user named user (id id, access token access).
	send func(s *testserver.Server, user string, id int64, access, pw string) *testserver.Response
	// wrong is the answer to a wrong password.
	wrong int
}

// newPasswordFor is a new password the policy accepts for any test user.
const newPasswordFor = "Tq9!vessel-orbit-lantern-2"

var passwordChecks = []passwordCheck{
	{"login", func(s *testserver.Server, user string, _ int64, _, pw string) *testserver.Response {
		return s.Post(pathToken, map[string]string{"username": user, "password": pw})
	}, http.StatusUnauthorized},
	{"api-token-auth", func(s *testserver.Server, user string, _ int64, _, pw string) *testserver.Response {
		return s.Post("/api-token-auth/", map[string]string{"username": user, "password": pw})
	}, http.StatusBadRequest},
	{"profile PATCH", func(s *testserver.Server, _ string, _ int64, access, pw string) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodPatch, Path: pathProfile, Bearer: access,
			JSON: map[string]string{"password": newPasswordFor, "current_password": pw}})
	}, http.StatusBadRequest},
	{"profile PUT", func(s *testserver.Server, user string, _ int64, access, pw string) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodPut, Path: pathProfile, Bearer: access,
			JSON: map[string]string{"username": user, "password": newPasswordFor, "current_password": pw}})
	}, http.StatusBadRequest},
	{"profiles/{id} PATCH", func(s *testserver.Server, _ string, id int64, access, pw string) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodPatch, Path: fmt.Sprintf("/api/accounts/profiles/%d/", id), Bearer: access,
			JSON: map[string]string{"password": newPasswordFor, "current_password": pw}})
	}, http.StatusBadRequest},
	{"profiles/{id} PUT", func(s *testserver.Server, user string, id int64, access, pw string) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodPut, Path: fmt.Sprintf("/api/accounts/profiles/%d/", id), Bearer: access,
			JSON: map[string]string{"username": user, "password": newPasswordFor, "current_password": pw}})
	}, http.StatusBadRequest},
	{"password change", func(s *testserver.Server, _ string, _ int64, access, pw string) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodPost, Path: pathPassword, Bearer: access,
			JSON: map[string]string{"old_password": pw, "new_password": newPasswordFor}})
	}, http.StatusBadRequest},
	// Last: with the right password and no throttle it deletes the account.
	{"account delete", func(s *testserver.Server, _ string, _ int64, access, pw string) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodDelete, Path: pathProfile, Bearer: access,
			JSON: map[string]string{"password": pw}})
	}, http.StatusBadRequest},
}

// Every endpoint that checks the password of a known user spends one
// per-user failure budget (5 a minute): five wrong guesses on any of them,
// and every one of them answers 429 before checking, even the right password.
// Before, profile PATCH/PUT checked current_password with no limit at all.
func TestPasswordBudgetSharedAcrossEndpoints(t *testing.T) {
	t.Parallel()
	for _, guess := range passwordChecks {
		t.Run(guess.name, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t, testserver.Options{Env: throttled(nil), Clock: alignedClock()})
			pair, pw := s.NewUser("victim")
			id := int64(profile(s, pair.Access).JSON(t)["id"].(float64))
			for i := 1; i <= 5; i++ {
				if r := guess.send(s, "victim", id, pair.Access, fmt.Sprintf("wrong-guess-%d", i)); r.Status != guess.wrong {
					t.Fatalf("wrong guess %d: %d %s", i, r.Status, r.Body)
				}
			}
			for _, e := range passwordChecks {
				r := e.send(s, "victim", id, pair.Access, pw)
				if r.Status != http.StatusTooManyRequests {
					t.Fatalf("%s after 5 failures on %s: %d %s, want 429", e.name, guess.name, r.Status, r.Body)
				}
				assertThrottled(t, r, 47)
			}
			// Another user's budget is untouched.
			s.NewUser("bystander")
			// The window ends: the right password works again.
			s.Clock.Advance(47 * time.Second)
			s.Login("victim", pw)
		})
	}
}

// A right password does not spend the budget: a user who types it right
// is never locked out by their own use.
func TestPasswordBudgetSuccessesDoNotCount(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: throttled(nil), Clock: alignedClock()})
	pair, pw := s.NewUser("careful")
	for i := 0; i < 8; i++ {
		r := s.Do(testserver.Request{Method: http.MethodPatch, Path: pathProfile, Bearer: pair.Access,
			JSON: map[string]string{"bio": fmt.Sprint(i), "password": pw, "current_password": pw}})
		// The new password equals the old one; the policy accepts it, so 200.
		if r.Status != http.StatusOK {
			t.Fatalf("PATCH %d: %d %s", i, r.Status, r.Body)
		}
		pair = s.Login("careful", pw)
	}
}
