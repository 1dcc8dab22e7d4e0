package accounts_test

// The stores of the service-layer tests (see helpers_test.go).

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the schema statements

	"authsvc/internal/testserver"
	"authsvc/models"
)

// svcStores hands out empty stores: a new SQLite file in t.TempDir() each
// time or, with AUTH_TEST_POSTGRES_URL set, a store on a PostgreSQL schema
// of its own in that database. Migrating a fresh schema takes the better
// part of a second there (testserver's database per test, longer still),
// and every row of a table wants an empty store; so a PostgreSQL store a
// row is done with is emptied and handed to the next row, and the schemas
// are dropped when the table is done.
type svcStores struct {
	pg      string // AUTH_TEST_POSTGRES_URL; "" on SQLite
	mu      sync.Mutex
	free    []*models.Store
	schemas []string
}

// newSvcStores returns the stores of t's rows, closed (and their schemas
// dropped) when t and all its rows are done.
func newSvcStores(t *testing.T) *svcStores {
	p := &svcStores{pg: os.Getenv(testserver.PostgresEnv)}
	if p.pg != "" {
		t.Cleanup(func() { p.close(t) })
	}
	return p
}

// get returns an empty store for t, given back when t ends. A nil p gives
// a store of t's own.
func (p *svcStores) get(t *testing.T) *models.Store {
	t.Helper()
	if p == nil {
		p = newSvcStores(t)
	}
	if p.pg == "" {
		s := svcOpenStore(t, "sqlite", filepath.Join(t.TempDir(), "auth.db"))
		t.Cleanup(func() { s.Close() })
		return s
	}
	p.mu.Lock()
	var s *models.Store
	if n := len(p.free); n > 0 {
		s, p.free = p.free[n-1], p.free[:n-1]
	}
	p.mu.Unlock()
	if s == nil {
		s = p.create(t)
	}
	t.Cleanup(func() { p.put(t, s) })
	return s
}

// create opens a store on a new schema.
func (p *svcStores) create(t *testing.T) *models.Store {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "svc_" + hex.EncodeToString(b[:])
	if err := svcAdmin(p.pg, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.schemas = append(p.schemas, schema)
	p.mu.Unlock()
	u, err := url.Parse(p.pg)
	if err != nil {
		t.Fatalf("%s: %v", testserver.PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return svcOpenStore(t, "postgres", u.String())
}

// put empties s and keeps it for the next row.
func (p *svcStores) put(t *testing.T, s *models.Store) {
	var tables []string
	err := s.W.Raw("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema()").Scan(&tables).Error
	if err == nil {
		err = s.W.Exec("TRUNCATE " + strings.Join(tables, ", ") + " RESTART IDENTITY CASCADE").Error
	}
	if err != nil {
		t.Errorf("empty the store for the next row: %v", err)
		s.Close()
		return
	}
	p.mu.Lock()
	p.free = append(p.free, s)
	p.mu.Unlock()
}

// close closes the stores and drops their schemas.
func (p *svcStores) close(t *testing.T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.free {
		s.Close()
	}
	for _, schema := range p.schemas {
		if err := svcAdmin(p.pg, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Error(err)
		}
	}
	p.free, p.schemas = nil, nil
}

func svcOpenStore(t *testing.T, driver, dsn string) *models.Store {
	t.Helper()
	s, err := models.Open(context.Background(), models.Options{Driver: driver, DSN: dsn})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return s
}

// svcAdmin runs one statement on the PostgreSQL server at base.
func svcAdmin(base, stmt string) error {
	db, err := sql.Open("pgx", base)
	if err != nil {
		return fmt.Errorf("postgres %s: %w", testserver.PostgresEnv, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s (is PostgreSQL at %s running?): %w", stmt, testserver.PostgresEnv, err)
	}
	return nil
}
