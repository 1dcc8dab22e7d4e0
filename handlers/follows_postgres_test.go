package handlers_test

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for the scratch database

	"authsvc/internal/testserver"
)

// postgresServer starts the service on a scratch database created on the
// server named by AUTH_TEST_POSTGRES_URL (e.g.
// postgres://postgres@127.0.0.1:5432/test) and dropped afterwards; without
// the variable the test is skipped.
func postgresServer(t *testing.T) *testserver.Server {
	t.Helper()
	base := os.Getenv("AUTH_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("AUTH_TEST_POSTGRES_URL not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	rand.Read(b[:])
	name := "authsvc_follows_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create scratch database: %v", err)
	}
	// Registered before the server, so it runs after the server has closed.
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_DATABASE_URL": u.String()}})
}

// The PostgreSQL runs check the row locks that SQLite's single writer makes
// unnecessary: no double counting, no deadlock, deletion and follow kept apart.
func TestFollowRacePostgres(t *testing.T) { runFollowRace(t, postgresServer(t)) }

func TestFollowDeleteRacePostgres(t *testing.T) { runFollowDeleteRace(t, postgresServer(t)) }
