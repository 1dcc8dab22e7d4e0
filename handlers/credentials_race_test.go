package handlers_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

// loginKind is one endpoint that turns a password into a credential.
type loginKind struct {
	name, path string
	failStatus int
	// works reports whether the credential in a successful answer
	// authenticates a request.
	works func(srv *testserver.Server, r *testserver.Response) bool
}

var loginKinds = []loginKind{
	{"jwt", "/api/auth/token/", http.StatusUnauthorized, func(srv *testserver.Server, r *testserver.Response) bool {
		var m map[string]any
		if err := json.Unmarshal(r.Body, &m); err != nil {
			return false
		}
		access, _ := m["access"].(string)
		return srv.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/", Bearer: access}).Status == http.StatusOK
	}},
	{"api-token-auth", "/api-token-auth/", http.StatusBadRequest, keyWorks},
	{"accounts login", "/api/accounts/login/", http.StatusBadRequest, keyWorks},
}

func keyWorks(srv *testserver.Server, r *testserver.Response) bool {
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		return false
	}
	key, _ := m["token"].(string)
	return srv.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/", Token: key}).Status == http.StatusOK
}

// raceLogin holds a login of e's user after its password check, runs change,
// lets the login finish and returns its answer.
func raceLogin(t *testing.T, e *raceEnv, path string, change credentialChange) *testserver.Response {
	t.Helper()
	reached, release := e.gate.arm(e.id)
	done := make(chan *testserver.Response, 1)
	go func() {
		done <- e.srv.Post(path, map[string]string{"username": e.name, "password": racePassword})
	}()
	select {
	case <-reached:
	case r := <-done:
		t.Fatalf("login finished without reaching the hook: %d %s", r.Status, r.Body)
	}
	change.do(t, e)
	close(release)
	return <-done
}

// A login that upgrades an imported hash must not write the old password
// back over a password set while it was in flight: the upgrade is a
// compare-and-swap on the hash it verified.
func TestLoginRehashDoesNotUndoConcurrentPasswordChange(t *testing.T) {
	t.Parallel()
	for _, change := range passwordChanges() {
		t.Run(change.name, func(t *testing.T) {
			t.Parallel()
			e := newRaceEnv(t, 1000, false)
			r := raceLogin(t, e, "/api/auth/token/", change)
			if old := e.srv.Post("/api/auth/token/", map[string]string{"username": e.name, "password": racePassword}); old.Status != http.StatusUnauthorized {
				t.Errorf("the old password logs in after the %s: %d (the rehash wrote it back)", change.name, old.Status)
			}
			if r := e.srv.Post("/api/auth/token/", map[string]string{"username": e.name, "password": change.newPassword}); r.Status != http.StatusOK {
				t.Errorf("the new password does not log in after the %s: %d", change.name, r.Status)
			}
			// The login verified a password that is no longer the user's.
			wantError(t, r, http.StatusUnauthorized, "no_active_account")
		})
	}
}

// A login that checked the password before a credential change committed
// must not open a session or issue a key after it: the write is conditional
// on the credential version the login read.
func TestLoginInFlightDoesNotSurviveCredentialChange(t *testing.T) {
	t.Parallel()
	for _, login := range loginKinds {
		for _, change := range credentialChanges() {
			t.Run(login.name+"/"+change.name, func(t *testing.T) {
				t.Parallel()
				e := newRaceEnv(t, 0, false)
				r := raceLogin(t, e, login.path, change)
				if change.undo != nil {
					change.undo(t, e)
				}
				if r.Status == http.StatusOK {
					t.Fatalf("login in flight across the %s answered 200 (credential works afterwards: %v)", change.name, login.works(e.srv, r))
				}
				if r.Status != login.failStatus {
					t.Fatalf("status %d, want %d: %s", r.Status, login.failStatus, r.Body)
				}
				// A fresh login with the current password works.
				pw := change.newPassword
				if pw == "" {
					pw = racePassword
				}
				e.srv.Login(e.name, pw)
			})
		}
	}
}

// A reset confirmation that was validated before the password changed must
// not overwrite that change: the token is consumed and the password set in
// one transaction that re-checks the credentials the link was issued for.
func TestPasswordResetDoesNotOverwriteConcurrentChange(t *testing.T) {
	t.Parallel()
	for _, change := range passwordChanges() {
		if change.name == "reset confirm" {
			continue
		}
		t.Run(change.name, func(t *testing.T) {
			t.Parallel()
			e := newRaceEnv(t, 0, true)
			reached, release := e.gate.arm(e.id)
			done := make(chan *testserver.Response, 1)
			go func() { done <- confirm(e.srv, e.resetToken, "Reset-wins-passphrase-3") }()
			select {
			case <-reached:
			case r := <-done:
				t.Fatalf("confirm finished without reaching the hook: %d %s", r.Status, r.Body)
			}
			change.do(t, e)
			close(release)
			wantInvalidToken(t, <-done)
			e.srv.Login(e.name, change.newPassword)
			if r := e.srv.Post("/api/auth/token/", map[string]string{"username": e.name, "password": "Reset-wins-passphrase-3"}); r.Status != http.StatusUnauthorized {
				t.Fatalf("the stale reset's password logs in: %d", r.Status)
			}
		})
	}
}
