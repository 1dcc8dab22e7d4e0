package testserver

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for admin statements
)

// PostgresEnv names the variable that switches the suite to PostgreSQL:
// a URL of a server and database the tests may create databases from, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "AUTH_TEST_POSTGRES_URL"

// RequirePostgres returns the PostgreSQL URL for a test that only makes
// sense there (several instances on one database). Without it the test is
// skipped, except in CI (CI=true), where a missing PostgreSQL is a failure,
// never a silent skip. The rest of the suite needs no such guard: it runs on
// SQLite without the variable, and with it set an unreachable server fails
// every test in New.
func RequirePostgres(t testing.TB) string {
	t.Helper()
	u := os.Getenv(PostgresEnv)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set, and CI=true requires the PostgreSQL tests", PostgresEnv)
		}
		t.Skipf("%s not set: PostgreSQL-only test skipped", PostgresEnv)
	}
	return u
}

// PostgresDatabase returns the URL of a database that belongs to dir,
// creating it if needed. The database is keyed by dir so that a test that
// restarts the service on the same Dir (or starts two instances on it)
// reopens the same data, as it would with the SQLite file in dir. Whoever
// creates the database drops it when its test ends; t.Cleanup runs in
// reverse order, so the servers started afterwards are closed first and the
// DROP meets no connection of ours (WITH (FORCE) ends any straggler).
func PostgresDatabase(t testing.TB, base, dir string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(dir))
	name := "authsvc_t_" + hex.EncodeToString(sum[:10])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres %s: %v", PostgresEnv, err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// PostgreSQL has no CREATE DATABASE IF NOT EXISTS: create, and treat
	// "already exists" (42P04) as the restart case.
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+name)
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		t.Cleanup(func() { dropDatabase(t, base, name) })
	case errors.As(err, &pgErr) && pgErr.Code == "42P04":
	default:
		t.Fatalf("create test database (is PostgreSQL at %s running?): %v", PostgresEnv, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

func dropDatabase(t testing.TB, base, name string) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Errorf("drop test database: %v", err)
		return
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
		t.Errorf("drop test database %s: %v", name, err)
	}
}
