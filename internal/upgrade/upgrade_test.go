// Package upgrade tests that a database written by the version before
// refresh generations upgrades in place without logging anyone out.
// testdata/ was written by that version (make-fixture.sh): a SQLite file
// and a PostgreSQL dump, each with one user and two sessions, and the
// refresh tokens it handed out.
package upgrade

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"authsvc/apierr"
	"authsvc/internal/testserver"
)

// fixture is what make-fixture.sh recorded.
type fixture struct {
	WrittenAt   time.Time `json:"written_at"`
	Retired     string    `json:"retired"`      // session A's first token, rotated away
	LiveRotated string    `json:"live_rotated"` // session A's live token
	LiveFirst   string    `json:"live_first"`   // session B's first token, live
}

func load(t *testing.T, name string) fixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// restore puts the old database where testserver.New will open it for dir.
func restore(t *testing.T, dir string) fixture {
	t.Helper()
	pg := os.Getenv(testserver.PostgresEnv)
	if pg == "" {
		b, err := os.ReadFile(filepath.Join("testdata", "sqlite.db"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "auth.db"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		return load(t, "sqlite")
	}
	dump, err := os.ReadFile(filepath.Join("testdata", "postgres.sql"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", testserver.PostgresDatabase(t, pg, dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// pg_dump's script, minus psql's own commands; without arguments the
	// driver sends it as one simple-protocol query.
	var script []string
	for _, line := range strings.Split(string(dump), "\n") {
		if !strings.HasPrefix(line, `\`) {
			script = append(script, line)
		}
	}
	if _, err := db.Exec(strings.Join(script, "\n")); err != nil {
		t.Fatalf("load the old database: %v", err)
	}
	return load(t, "postgres")
}

type upgraded struct {
	t *testing.T
	s *testserver.Server
}

func (u *upgraded) refresh(tok string) (int, string, string) {
	u.t.Helper()
	r := u.s.Post("/api/auth/token/refresh/", map[string]string{"refresh": tok})
	m := r.JSON(u.t)
	next, _ := m["refresh"].(string)
	detail, _ := m["detail"].(string)
	return r.Status, detail, next
}

// TestUpgradeKeepsRefreshTokens starts the new version on the old database
// a minute after the old one wrote it, and presents what its clients hold.
func TestUpgradeKeepsRefreshTokens(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := restore(t, dir)
	// written_at has second precision and comes a moment after session A's
	// rotation: two seconds later is inside the 10 s grace interval.
	clock := testserver.NewClockAt(f.WrittenAt.Add(2 * time.Second))
	s := testserver.New(t, testserver.Options{Dir: dir, Clock: clock})
	u := &upgraded{t: t, s: s}

	// A token the old version retired a moment before the upgrade is a late
	// twin: it gets the successor the old version gave, as the old version
	// would have answered.
	if st, detail, next := u.refresh(f.Retired); st != http.StatusOK || next != f.LiveRotated {
		t.Fatalf("legacy token retired just before the upgrade, inside grace: %d %s, same successor %v", st, detail, next == f.LiveRotated)
	}
	clock.Advance(time.Minute)

	// Both live tokens refresh; each successor is a generation token that
	// refreshes in turn, and a late twin of a legacy token inside the grace
	// interval gets the same successor.
	for name, tok := range map[string]string{"rotated once": f.LiveRotated, "first": f.LiveFirst} {
		st, detail, next := u.refresh(tok)
		if st != http.StatusOK || !strings.Contains(jti(t, s, next), ".") {
			t.Fatalf("%s legacy token after the upgrade: %d %s", name, st, detail)
		}
		if st, _, twin := u.refresh(tok); st != http.StatusOK || twin != next {
			t.Fatalf("%s legacy token's late twin: %d, same successor %v", name, st, twin == next)
		}
		if st, detail, _ := u.refresh(next); st != http.StatusOK {
			t.Fatalf("%s: the successor does not refresh: %d %s", name, st, detail)
		}
		// Its row is retired, so an old version still reading the table
		// (a rolling upgrade, a rollback) refuses it instead of forking.
		row, err := s.App.Store.LegacyRefresh(t.Context(), sha(jti(t, s, tok)))
		if err != nil || row.UsedAt == nil {
			t.Fatalf("%s legacy row after its rotation: %+v %v, want retired", name, row, err)
		}
	}
	// The token session A retired before the upgrade is still a replay.
	if st, detail, _ := u.refresh(f.Retired); st != http.StatusUnauthorized || detail != apierr.MsgTokenBlacklisted {
		t.Fatalf("retired legacy token: %d %s", st, detail)
	}

	// Once every legacy token has expired, the next start drops the table.
	s.Close()
	clock.Advance(25 * time.Hour)
	s = testserver.New(t, testserver.Options{Dir: dir, Clock: clock})
	if s.App.Store.W.Migrator().HasTable("refresh_tokens") {
		t.Fatal("the legacy refresh_tokens table outlived its last live token")
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func jti(t *testing.T, s *testserver.Server, tok string) string {
	t.Helper()
	c, err := s.App.Tokens.Verify(tok, "refresh")
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}
