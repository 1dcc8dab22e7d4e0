package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// Every way a session can end must be seen by the very next verify of a
// token that verified a moment before: each case verifies first (twice, so
// any memory of the first answer would be used), ends the session, and
// verifies again.
func TestVerifySeesEveryRevocationAtOnce(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"AUTH_REFRESH_REUSE_GRACE": "3s"})
	staff, _ := newStaff(t, s, "cacheboss")
	cases := []struct {
		name string
		// end ends the session of victim; second is another session of the
		// same user, pw its password.
		end func(t *testing.T, victim, second testserver.Pair, pw string)
	}{
		{"logout", func(t *testing.T, v, _ testserver.Pair, _ string) {
			wantStatus(t, s.Post(pathLogout, map[string]string{"refresh": v.Refresh}), http.StatusOK)
		}},
		{"blacklist", func(t *testing.T, v, _ testserver.Pair, _ string) {
			wantStatus(t, s.Post(pathBlacklist, map[string]string{"refresh": v.Refresh}), http.StatusOK)
		}},
		{"logout everywhere", func(t *testing.T, _, second testserver.Pair, _ string) {
			wantStatus(t, s.Do(testserver.Request{Method: http.MethodPost, Path: pathLogoutAll, Bearer: second.Access}), http.StatusOK)
		}},
		{"session ended from another session", func(t *testing.T, v, second testserver.Pair, _ string) {
			sid := currentSessionID(t, s, v.Access)
			r := s.Do(testserver.Request{Method: http.MethodDelete, Path: pathSessions + sid + "/", Bearer: second.Access})
			if r.Status != http.StatusNoContent && r.Status != http.StatusOK {
				t.Fatalf("end session: %d %s", r.Status, r.Body)
			}
		}},
		{"password changed in another session", func(t *testing.T, _, second testserver.Pair, pw string) {
			wantStatus(t, s.Do(testserver.Request{Method: http.MethodPost, Path: pathPassword, Bearer: second.Access,
				JSON: map[string]any{"old_password": pw, "new_password": "Brand!new-walnut-42x"}}), http.StatusOK)
		}},
		{"account deleted", func(t *testing.T, v, _ testserver.Pair, pw string) {
			wantStatus(t, s.Do(testserver.Request{Method: http.MethodDelete, Path: pathProfile, Bearer: v.Access,
				JSON: map[string]any{"password": pw}}), http.StatusNoContent)
		}},
		{"deactivated by staff", func(t *testing.T, v, _ testserver.Pair, _ string) {
			id := int64(profile(s, v.Access).JSON(t)["id"].(float64))
			wantStatus(t, s.Do(testserver.Request{Method: http.MethodPatch, Path: fmt.Sprintf("%s%d/", adminUsersPath, id),
				Bearer: staff.Access, JSON: map[string]any{"is_active": false}}), http.StatusOK)
		}},
		{"refresh token reused after the grace", func(t *testing.T, v, _ testserver.Pair, _ string) {
			pairOf(t, refresh(s, v.Refresh))
			s.Clock.Advance(4 * time.Second)
			wantTokenInvalid(t, refresh(s, v.Refresh))
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Not parallel: the reuse case moves the shared clock.
			name := fmt.Sprintf("cached%d", i)
			victim, pw := s.NewUser(name)
			second := s.Login(name, pw)
			for range 2 {
				wantStatus(t, s.Post(pathVerify, map[string]string{"token": victim.Access}), http.StatusOK)
			}
			c.end(t, victim, second, pw)
			if r := s.Post(pathVerify, map[string]string{"token": victim.Access}); r.Status != http.StatusUnauthorized {
				t.Fatalf("verify after the session ended: %d %s", r.Status, r.Body)
			}
		})
	}
}

// A second process on the same database ends sessions behind this one's back:
// `authsvc changepassword` on the SQLite file the server runs on, or another
// instance. The verify endpoint's very next answer must be "token not valid".
// The second process here is a second service on the same folder, with its
// own Store and connection pools, as a separate process would have.
func TestVerifySeesRevocationByAnotherProcess(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	other := testserver.New(t, testserver.Options{Dir: s.Dir, Clock: s.Clock})
	cases := []struct {
		name string
		// end ends the session of victim, user name, through other.
		end func(t *testing.T, victim testserver.Pair, name string)
	}{
		{"changepassword command", func(t *testing.T, _ testserver.Pair, name string) {
			if err := other.App.Accounts.SetPasswordByName(context.Background(), name, "Brand!new-walnut-42x"); err != nil {
				t.Fatal(err)
			}
		}},
		{"logout", func(t *testing.T, v testserver.Pair, _ string) {
			wantStatus(t, other.Post(pathLogout, map[string]string{"refresh": v.Refresh}), http.StatusOK)
		}},
		{"logout everywhere", func(t *testing.T, v testserver.Pair, _ string) {
			wantStatus(t, other.Do(testserver.Request{Method: http.MethodPost, Path: pathLogoutAll, Bearer: v.Access}), http.StatusOK)
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			name := fmt.Sprintf("elsewhere%d", i)
			victim, _ := s.NewUser(name)
			for range 2 {
				wantStatus(t, s.Post(pathVerify, map[string]string{"token": victim.Access}), http.StatusOK)
			}
			c.end(t, victim, name)
			wantTokenInvalid(t, s.Post(pathVerify, map[string]string{"token": victim.Access}))
		})
	}
}
