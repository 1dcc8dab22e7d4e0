package models_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"authsvc/models"
)

// TestSQLitePathWithURICharacters opens the store in folders whose names
// hold the characters that end or escape the path of a "file:" URI. Spliced
// in raw, "a#b" would open "a", "q?x=1" would open "q" (with a bogus
// parameter) and "100%41" would open "100A"; the database must be exactly
// where the path says, and hold what was written.
func TestSQLitePathWithURICharacters(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a#b", "q?x=1", "100%41", "sp ace&amp;", "both#?mode=ro"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			path := filepath.Join(root, name, "auth.db")
			ctx := context.Background()
			s, err := models.Open(ctx, models.Options{Driver: "sqlite", DSN: path})
			if err != nil {
				t.Fatalf("open %q: %v", path, err)
			}
			u := &models.User{Username: "x", UsernameKey: "x", DateJoined: time.Now().UTC(), IsActive: true}
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatalf("write: %v", err)
			}
			if _, err := s.UserByUsernameKey(ctx, "x"); err != nil {
				t.Fatalf("read back: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
				t.Fatalf("database not at %q: %v", path, err)
			}
			// Nothing else was created beside the intended folder.
			entries, err := os.ReadDir(root)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != name {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Fatalf("files in the root: %q, want only %q", names, name)
			}
			// Reopened, the same data is there.
			s, err = models.Open(ctx, models.Options{Driver: "sqlite", DSN: path})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.UserByUsernameKey(ctx, "x"); err != nil {
				t.Fatalf("after reopen: %v", err)
			}
		})
	}
}

// TestSQLiteURI pins the escaping: a relative path stays relative (no "//"
// authority), an absolute one gets the empty authority.
func TestSQLiteURI(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"data/auth.db":   "file:data/auth.db?mode=ro",
		"/tmp/a#b/c?d":   "file:///tmp/a%23b/c%3Fd?mode=ro",
		"//srv/x%y.db":   "file:////srv/x%25y.db?mode=ro",
		"/tmp/é &.db":    "file:///tmp/%C3%A9%20%26.db?mode=ro",
		"rel/with:colon": "file:rel/with%3Acolon?mode=ro",
	} {
		if got := models.SQLiteURI(path, "mode=ro"); got != want {
			t.Errorf("SQLiteURI(%q) = %q, want %q", path, got, want)
		}
	}
}
