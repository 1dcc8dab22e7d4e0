package handlers_test

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"

	"authsvc/internal/testserver"
	"authsvc/passwords"
)

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
