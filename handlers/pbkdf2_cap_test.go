package handlers_test

import (
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

// One stored PBKDF2 hash with a huge iteration count must not set the cost
// of every failed password check. While imported hashes remain, each failed
// check (any login, any current_password) is padded to the slowest pending
// one; the most iterations a hash may have and still be checked is Django
// 5.2's default, 1,000,000. A hash above it is unusable (its user must
// reset), costs what an unknown name costs, and is not counted as pending:
// the padding stays at the highest usable count (here 1,000). Before, up to
// 10,000,000 were accepted, and one such row made every failed check cost
// seconds of CPU while holding a hashing slot.
func TestHugePBKDF2HashDoesNotSlowEveryFailedCheck(t *testing.T) {
	t.Parallel()
	const djangoDefault = 1_000_000 // Django 5.2's PBKDF2 iterations
	dir := t.TempDir()
	srv := testserver.New(t, testserver.Options{Dir: dir})
	const pw = "correct-Horse-77"
	srv.Register("imported", pw)
	setFlags(t, srv, "imported", map[string]any{"password_hash": djangoHash(t, pw, 1000)})
	srv.Register("hostile", pw)
	setFlags(t, srv, "hostile", map[string]any{"password_hash": djangoHash(t, pw, djangoDefault+1)})
	_, presentPW := srv.NewUser("present")
	// A restart on the same data: the service counts the pending hashes.
	srv.Close()
	srv = testserver.New(t, testserver.Options{Dir: dir})
	present := srv.Login("present", presentPW)

	login := func(user, password string) *testserver.Response {
		return srv.Post(pathToken, map[string]string{"username": user, "password": password})
	}
	before := srv.App.Hasher.Work()
	wantError(t, login("nobody-by-this-name", "not-the-Password-1"), http.StatusUnauthorized, "no_active_account")
	base := srv.App.Hasher.Work().Sub(before)
	if base.PBKDF2Iterations != 1000 {
		t.Fatalf("unknown user: padded with %d PBKDF2 iterations, want 1000 (the most a usable pending hash needs)", base.PBKDF2Iterations)
	}
	for _, c := range []struct {
		name string
		do   func() *testserver.Response
		code int
	}{
		{"hash above the cap, right password", func() *testserver.Response { return login("hostile", pw) }, http.StatusUnauthorized},
		{"hash above the cap, wrong password", func() *testserver.Response { return login("hostile", "not-the-Password-1") }, http.StatusUnauthorized},
		{"wrong current_password", func() *testserver.Response {
			return srv.Do(testserver.Request{Method: http.MethodPatch, Path: pathProfile, Bearer: present.Access,
				JSON: map[string]string{"password": "N3w-" + presentPW, "current_password": "not-the-Password-1"}})
		}, http.StatusBadRequest},
	} {
		before := srv.App.Hasher.Work()
		if r := c.do(); r.Status != c.code {
			t.Fatalf("%s: %d %s, want %d", c.name, r.Status, r.Body, c.code)
		}
		if got := srv.App.Hasher.Work().Sub(before); got != base {
			t.Errorf("%s: hashing %+v, unknown user %+v", c.name, got, base)
		}
	}
	// A usable imported hash still logs in (and is upgraded).
	srv.Login("imported", pw)
}
