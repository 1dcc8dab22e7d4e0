package djangoimport_test

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"path/filepath"
	"testing"

	"authsvc/djangoimport"
	"authsvc/internal/testserver"
)

// An imported address comes over verified (it was the user's in the old
// system, where reset mail went to it), so even with verification
// required imported users sign in at once; a user without an address has
// nothing verified.
func TestImportedAddressesAreVerified(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "django.sqlite3")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db, false, []row{
		{username: "alice", email: "alice@example.test", plain: "alice-Old-pass-1", active: true},
		{username: "noaddr", email: "", plain: "noaddr-Old-pass-1", active: true},
	})
	db.Close()
	srv := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_EMAIL_VERIFICATION": "required"}})
	if _, err := djangoimport.Run(context.Background(), srv.App.Store, path, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if alice, noaddr := user(t, srv, "alice"), user(t, srv, "noaddr"); !alice.EmailVerified || noaddr.EmailVerified ||
		alice.PendingEmail != nil || noaddr.PendingEmail != nil {
		t.Fatalf("alice verified %v, noaddr verified %v, pending %v %v", alice.EmailVerified, noaddr.EmailVerified,
			alice.PendingEmail, noaddr.PendingEmail)
	}
	r := srv.Post("/api/auth/token/", map[string]string{"username": "alice", "password": "alice-Old-pass-1"})
	if r.Status != http.StatusOK {
		t.Fatalf("imported alice under required verification: %d %s", r.Status, r.Body)
	}
	r = srv.Post("/api/auth/token/", map[string]string{"username": "noaddr", "password": "noaddr-Old-pass-1"})
	if r.Status != http.StatusForbidden {
		t.Fatalf("imported user without an address under required verification: %d %s", r.Status, r.Body)
	}
}
