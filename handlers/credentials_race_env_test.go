package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"authsvc/accounts"
	"authsvc/internal/testserver"
)

// gate holds one operation of one user at an accounts hook until the test
// releases it, so a race is driven to the same interleaving every run.
type gate struct {
	mu      sync.Mutex
	userID  int64 // whose operation to hold; 0: none
	reached chan struct{}
	release chan struct{}
}

// hook is the accounts.Hooks function: it holds the first call for the armed
// user, once.
func (g *gate) hook(ctx context.Context, userID int64) {
	g.mu.Lock()
	armed := g.userID != 0 && g.userID == userID
	reached, release := g.reached, g.release
	if armed {
		g.userID = 0
	}
	g.mu.Unlock()
	if !armed {
		return
	}
	close(reached)
	select {
	case <-release:
	case <-ctx.Done():
	}
}

// arm makes the next operation of userID wait at the hook: reached is closed
// when it gets there, closing release lets it go on.
func (g *gate) arm(userID int64) (reached, release chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.userID, g.reached, g.release = userID, make(chan struct{}), make(chan struct{})
	return g.reached, g.release
}

// raceEnv is one user whose login the test holds after the password check,
// with what the concurrent changes need.
type raceEnv struct {
	srv        *testserver.Server
	gate       *gate
	id         int64
	name       string
	pair       testserver.Pair // a session of the user, opened before the race
	staff      testserver.Pair
	resetToken string
}

const (
	racePassword = "Old-pass-for-race-9x"
	raceNew      = "Brand-new-secret-77q"
)

// newRaceEnv starts a server with a gate on logins (and, if resetGate, on
// reset confirmations) and a user "victim"; djangoIter > 0 gives the user an
// imported Django hash of that many iterations, which a login upgrades.
func newRaceEnv(t *testing.T, djangoIter int, resetGate bool) *raceEnv {
	t.Helper()
	g := &gate{}
	hooks := accounts.Hooks{AfterVerify: g.hook}
	if resetGate {
		hooks = accounts.Hooks{ResetValidated: g.hook}
	}
	srv := testserver.New(t, testserver.Options{AccountHooks: hooks, Env: map[string]string{"AUTH_RESET_URL": resetPage}})
	e := &raceEnv{srv: srv, gate: g, name: "victim"}
	e.id = registerWithEmail(t, srv, e.name, "victim@example.test", racePassword)
	e.pair = srv.Login(e.name, racePassword)
	e.staff, _ = newStaff(t, srv, "keeper")
	if djangoIter > 0 {
		setFlags(t, srv, e.name, map[string]any{"password_hash": djangoHash(t, racePassword, djangoIter)})
	}
	// Requested last: the link is bound to the password hash as it is now.
	e.resetToken = outboxToken(t, srv, "victim@example.test")
	return e
}

// credentialChange is one way the user's credentials change while a login
// is in flight.
type credentialChange struct {
	name string
	// newPassword is the password afterwards ("" when it stays).
	newPassword string
	do          func(t *testing.T, e *raceEnv)
	// undo runs after the login returned (reactivation after deactivation),
	// so the test can check the login's credential on a usable account.
	undo func(t *testing.T, e *raceEnv)
}

func passwordChanges() []credentialChange {
	return []credentialChange{
		{name: "password change", newPassword: raceNew, do: func(t *testing.T, e *raceEnv) {
			r := e.srv.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/password/change/", Bearer: e.pair.Access,
				JSON: map[string]string{"old_password": racePassword, "new_password": raceNew}})
			wantStatus(t, r, http.StatusOK)
		}},
		{name: "reset confirm", newPassword: raceNew, do: func(t *testing.T, e *raceEnv) {
			wantStatus(t, confirm(e.srv, e.resetToken, raceNew), http.StatusOK)
		}},
		{name: "changepassword command", newPassword: raceNew, do: func(t *testing.T, e *raceEnv) {
			if err := e.srv.App.Accounts.SetPasswordByName(context.Background(), e.name, raceNew); err != nil {
				t.Fatal(err)
			}
		}},
	}
}

func credentialChanges() []credentialChange {
	return append(passwordChanges(),
		credentialChange{name: "logout all", do: func(t *testing.T, e *raceEnv) {
			r := e.srv.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/logout/all/", Bearer: e.pair.Access})
			if r.Status/100 != 2 {
				t.Fatalf("logout all: %d %s", r.Status, r.Body)
			}
		}},
		credentialChange{name: "admin logout", do: func(t *testing.T, e *raceEnv) {
			r := e.srv.Do(testserver.Request{Method: http.MethodPost, Path: fmt.Sprintf("/api/admin/users/%d/logout/", e.id), Bearer: e.staff.Access})
			if r.Status/100 != 2 {
				t.Fatalf("admin logout: %d %s", r.Status, r.Body)
			}
		}},
		credentialChange{name: "deactivation",
			do: func(t *testing.T, e *raceEnv) {
				r := e.srv.Do(testserver.Request{Method: http.MethodPatch, Path: fmt.Sprintf("/api/admin/users/%d/", e.id), Bearer: e.staff.Access,
					JSON: map[string]any{"is_active": false}})
				wantStatus(t, r, http.StatusOK)
			},
			undo: func(t *testing.T, e *raceEnv) {
				r := e.srv.Do(testserver.Request{Method: http.MethodPatch, Path: fmt.Sprintf("/api/admin/users/%d/", e.id), Bearer: e.staff.Access,
					JSON: map[string]any{"is_active": true}})
				wantStatus(t, r, http.StatusOK)
			}},
	)
}
