package handlers_test

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"authsvc/accounts"
	"authsvc/internal/testserver"
	"authsvc/passwords"
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

// djangoHash is what Django's PBKDF2PasswordHasher stores for password.
func djangoHash(t *testing.T, password string, iterations int) string {
	t.Helper()
	const salt = "seasalt2024"
	key, err := pbkdf2.Key(sha256.New, password, []byte(salt), iterations, 32)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("pbkdf2_sha256$%d$%s$%s", iterations, salt, base64.StdEncoding.EncodeToString(key))
}

// outboxToken asks for a password reset and returns the token from the mail
// the service wrote to its outbox (no SMTP configured), newest message last.
func outboxToken(t *testing.T, srv *testserver.Server, email string) string {
	t.Helper()
	if r := srv.Post(resetPath, map[string]string{"email": email}); r.Status != http.StatusAccepted {
		t.Fatalf("reset request: %d %s", r.Status, r.Body)
	}
	flush(t, srv)
	dir := filepath.Join(srv.Dir, "data", "outbox")
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		t.Fatalf("outbox: %v, %d messages", err, len(entries))
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	sort.Strings(names)
	raw, err := os.ReadFile(filepath.Join(dir, names[len(names)-1]))
	if err != nil {
		t.Fatal(err)
	}
	return tokenFromMail(t, raw)
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

// Changing the address needs the password: with it, a stolen access token
// or API key could move the address and then reset the password. Staff
// changing another user's address give their own password.
func TestEmailChangeNeedsCurrentPassword(t *testing.T) {
	t.Parallel()
	srv := testserver.New(t, testserver.Options{})
	staff, staffPW := newStaff(t, srv, "keeper")
	const userPW = "Mailer-own-passphrase-4"
	cases := []struct {
		name string
		// via returns the request for user name (id), its session and key.
		via      func(id int64, own testserver.Pair, key string) profileCall
		body     map[string]any // email is added
		sameMail bool           // send the address the user has now
		status   int
		field    string // the field error expected with a 400
	}{
		{name: "own PATCH without current_password", via: ownPatch, status: 400, field: "current_password"},
		{name: "own PATCH wrong current_password", via: ownPatch, body: map[string]any{"current_password": "not-it-Zz9"}, status: 400, field: "current_password"},
		{name: "own PATCH blank current_password", via: ownPatch, body: map[string]any{"current_password": ""}, status: 400, field: "current_password"},
		{name: "own PATCH with current_password", via: ownPatch, body: map[string]any{"current_password": userPW}, status: 200},
		{name: "own PATCH same address", via: ownPatch, sameMail: true, status: 200},
		{name: "own PUT without current_password", via: ownPut, status: 400, field: "current_password"},
		{name: "own PATCH by API key", via: func(id int64, own testserver.Pair, key string) profileCall {
			return profileCall{http.MethodPatch, "/api/auth/profile/", "", key}
		}, status: 400, field: "current_password"},
		{name: "profiles endpoint, owner, without", via: ownProfiles, status: 400, field: "current_password"},
		{name: "profiles endpoint, owner, with", via: ownProfiles, body: map[string]any{"current_password": userPW}, status: 200},
		{name: "staff without", via: staffProfiles(staff), status: 400, field: "current_password"},
		{name: "staff with the user's password", via: staffProfiles(staff), body: map[string]any{"current_password": userPW}, status: 400, field: "current_password"},
		{name: "staff with their own password", via: staffProfiles(staff), body: map[string]any{"current_password": staffPW}, status: 200},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := fmt.Sprintf("mailer%d", i)
			old := name + "@example.test"
			id := registerWithEmail(t, srv, name, old, userPW)
			own := srv.Login(name, userPW)
			key := obtainKey(t, srv, name, userPW)
			c := tc.via(id, own, key)
			body := map[string]any{"email": name + "@attacker.test"}
			if tc.sameMail {
				body["email"] = old
			}
			if c.method == http.MethodPut {
				body["username"] = name
			}
			for k, v := range tc.body {
				body[k] = v
			}
			r := srv.Do(testserver.Request{Method: c.method, Path: c.path, Bearer: c.bearer, Token: c.key, JSON: body})
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			want := old
			if tc.status == http.StatusOK {
				want = body["email"].(string)
			} else {
				wantField(t, r, tc.field, "")
			}
			if got := user(t, srv, name).Email; got != want {
				t.Fatalf("email is %q, want %q", got, want)
			}
		})
	}
}

// profileCall is how a profile update is sent: method, path and credential.
type profileCall struct {
	method, path string
	bearer, key  string
}

func ownPatch(id int64, own testserver.Pair, key string) profileCall {
	return profileCall{http.MethodPatch, "/api/auth/profile/", own.Access, ""}
}

func ownPut(id int64, own testserver.Pair, key string) profileCall {
	return profileCall{http.MethodPut, "/api/auth/profile/", own.Access, ""}
}

func ownProfiles(id int64, own testserver.Pair, key string) profileCall {
	return profileCall{http.MethodPatch, fmt.Sprintf("/api/accounts/profiles/%d/", id), own.Access, ""}
}

func staffProfiles(staff testserver.Pair) func(id int64, own testserver.Pair, key string) profileCall {
	return func(id int64, own testserver.Pair, key string) profileCall {
		return profileCall{http.MethodPatch, fmt.Sprintf("/api/accounts/profiles/%d/", id), staff.Access, ""}
	}
}

// A failed login costs the same hashing whoever it names: an unknown user,
// a wrong password for a user with an argon2id hash or with an imported
// Django PBKDF2 hash not yet upgraded (whatever its iteration count), an
// inactive user. The work is counted, not timed, so a busy machine cannot
// make this flaky (TestLoginTimingDoesNotRevealUsers times the argon2 cases).
func TestFailedLoginWorkIsTheSameForEveryUser(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := testserver.New(t, testserver.Options{Dir: dir})
	const pw = "correct-Horse-77"
	srv.Register("present", pw)
	for name, iter := range map[string]int{"imported": 1000, "imported_more": 3000, "imported_idle": 2000} {
		srv.Register(name, pw)
		setFlags(t, srv, name, map[string]any{"password_hash": djangoHash(t, pw, iter)})
	}
	srv.Register("sleeper", pw)
	setFlags(t, srv, "sleeper", map[string]any{"is_active": false})
	setFlags(t, srv, "imported_idle", map[string]any{"is_active": false})
	// A restart on the same data: the service learns at start which imported
	// hashes are still waiting for their upgrade.
	srv.Close()
	srv = testserver.New(t, testserver.Options{Dir: dir})

	kinds := []struct{ name, username, password string }{
		{"unknown user", "nobody-by-this-name", "not-the-Password-1"},
		{"argon2 user, wrong password", "present", "not-the-Password-1"},
		{"pbkdf2 user, wrong password", "imported", "not-the-Password-1"},
		{"pbkdf2 user with the most iterations, wrong password", "imported_more", "not-the-Password-1"},
		{"inactive user, right password", "sleeper", pw},
		{"inactive pbkdf2 user, right password", "imported_idle", pw},
	}
	var base passwords.Work
	for i, k := range kinds {
		before := srv.App.Hasher.Work()
		r := srv.Post("/api/auth/token/", map[string]string{"username": k.username, "password": k.password})
		wantError(t, r, http.StatusUnauthorized, "no_active_account")
		got := srv.App.Hasher.Work().Sub(before)
		if i == 0 {
			base = got
			if got.PBKDF2Iterations != 3000 {
				t.Errorf("unknown user: %d PBKDF2 iterations, want 3000 (the most any pending import needs)", got.PBKDF2Iterations)
			}
			continue
		}
		if got != base {
			t.Errorf("%s: hashing %+v, unknown user %+v", k.name, got, base)
		}
	}
}
