package models

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	// The SQLite driver under gorm.io/driver/sqlite, imported by name so that
	// go.mod pins a current version directly (the gorm driver alone resolves
	// an old one).
	_ "github.com/mattn/go-sqlite3"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Store is the database. W takes every write; R serves reads. On SQLite they
// are separate pools over one file: W has a single connection, so writers
// queue in Go instead of meeting SQLITE_BUSY ("database is locked"), and
// every write transaction starts IMMEDIATE so it holds the write lock from its
// first statement; readers use WAL snapshots and never wait for the writer.
// On PostgreSQL both are the same pool.
type Store struct {
	W, R   *gorm.DB
	Driver string
	sqlW   *sql.DB
	sqlR   *sql.DB
	// sqlP serves only the prepared one-row reads of the hot path (authStmt,
	// liveStmt, userStmt). On SQLite it is a pool of its own, so those reads
	// never queue for a connection behind a slow list or search on R, which
	// matters because they run without the request's deadline (pointCtx).
	// On PostgreSQL it is the one pool.
	sqlP *sql.DB
	// authStmt is the one query of the authentication hot path, prepared once.
	authStmt *sql.Stmt
	// liveStmt is the verify endpoint's smaller query (live.go).
	liveStmt *sql.Stmt
	// userStmt loads a user by id (userstmt.go).
	userStmt *sql.Stmt
	// batch is the group-commit writer for refresh rotations (SQLite only).
	batch *rotationBatcher
	// limits caps sessions and API keys per user (bounds.go).
	limits Limits
}

// Options configure Open.
type Options struct {
	Driver      string // "sqlite" or "postgres"
	DSN         string // file path or postgres URL
	Synchronous string // SQLite PRAGMA synchronous: FULL, NORMAL, EXTRA
	MaxConns    int    // PostgreSQL pool size (0: 4 per CPU)
	// PlainRotate turns off the SQLite group commit of refresh rotations
	// (one transaction each, as on PostgreSQL): for comparison benchmarks.
	PlainRotate bool
	// RotationObserver receives each group commit's size; may be nil.
	RotationObserver BatchObserver
	// Log gets a debug line per group commit; may be nil.
	Log *slog.Logger
	// Limits bound the rows one user can hold (see bounds.go).
	Limits Limits
}

// Open connects, applies connection settings and migrates the schema.
func Open(ctx context.Context, o Options) (*Store, error) {
	cfg := &gorm.Config{Logger: logger.Discard, PrepareStmt: true, SkipDefaultTransaction: true}
	s := &Store{Driver: o.Driver, limits: o.Limits}
	var err error
	switch o.Driver {
	case "sqlite":
		if err := s.openSQLite(ctx, o, cfg); err != nil {
			return nil, err
		}
	case "postgres":
		// pgx already prepares and caches every statement per connection.
		// GORM's own statement cache on top of it serialises preparation
		// under one mutex and, inside transactions, can wait for a second
		// pool connection while holding the first: with every connection in
		// an open transaction (50 concurrent refreshes) the pool deadlocks.
		cfg.PrepareStmt = false
		if s.W, err = gorm.Open(postgres.Open(o.DSN), cfg); err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		if s.sqlW, err = s.W.DB(); err != nil {
			return nil, err
		}
		n := o.MaxConns
		if n <= 0 {
			n = 4 * runtime.NumCPU()
		}
		s.sqlW.SetMaxOpenConns(n)
		s.sqlW.SetMaxIdleConns(n)
		s.sqlW.SetConnMaxIdleTime(5 * time.Minute)
		s.R, s.sqlR, s.sqlP = s.W, s.sqlW, s.sqlW
	default:
		return nil, fmt.Errorf("unknown database driver %q", o.Driver)
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, err
	}
	// PostgreSQL commits concurrent transactions in parallel and needs no
	// help; SQLite has one writer and one fsync per commit (see batch.go).
	if o.Driver == "sqlite" && !o.PlainRotate {
		if s.batch, err = newRotationBatcher(ctx, s.sqlW, o.RotationObserver, o.Log); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// openSQLite opens the writer, reader and point-read pools over one SQLite
// file (see Store).
func (s *Store) openSQLite(ctx context.Context, o Options, cfg *gorm.Config) error {
	var err error
	if dir := filepath.Dir(o.DSN); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create database folder: %w", err)
		}
	}
	sync := o.Synchronous
	if sync == "" {
		sync = "FULL"
	}
	// SQLiteURI escapes the path: a '#' or '?' in it would end the URI's path.
	base := SQLiteURI(o.DSN, "_journal_mode=WAL&_foreign_keys=1&_busy_timeout=10000&_synchronous="+sync)
	// No GORM statement cache on the writer: with its one connection
	// held by a transaction, a statement outside it waits for the
	// connection after putting a half-prepared entry in the cache, and
	// the transaction running the same statement waits for that entry:
	// a deadlock until the waiter's context ends (the PostgreSQL case in
	// Open, with a pool of one). Preparing on SQLite costs microseconds.
	wcfg := *cfg
	wcfg.PrepareStmt = false
	if s.W, err = gorm.Open(sqlite.Open(base+"&_txlock=immediate"), &wcfg); err != nil {
		return fmt.Errorf("open sqlite writer %s: %w", o.DSN, err)
	}
	if s.sqlW, err = s.W.DB(); err != nil {
		return err
	}
	s.sqlW.SetMaxOpenConns(1)
	s.sqlW.SetMaxIdleConns(1)
	s.sqlW.SetConnMaxLifetime(0)
	// Touch the file through the writer first so WAL mode is set before
	// any read-only connection opens it.
	if err := s.sqlW.PingContext(ctx); err != nil {
		return fmt.Errorf("open sqlite %s: %w", o.DSN, err)
	}
	if s.R, err = gorm.Open(sqlite.Open(base+"&_query_only=1"), cfg); err != nil {
		return fmt.Errorf("open sqlite reader %s: %w", o.DSN, err)
	}
	if s.sqlR, err = s.R.DB(); err != nil {
		return err
	}
	n := 2 * runtime.NumCPU()
	s.sqlR.SetMaxOpenConns(n)
	s.sqlR.SetMaxIdleConns(n)
	if s.sqlP, err = sql.Open("sqlite3", base+"&_query_only=1"); err != nil {
		return fmt.Errorf("open sqlite point reader %s: %w", o.DSN, err)
	}
	s.sqlP.SetMaxOpenConns(n)
	s.sqlP.SetMaxIdleConns(n)
	return nil
}

// Migrate creates missing tables, columns and indexes. It only ever adds, so
// running a newer binary on an older database upgrades it in place.
//
// On PostgreSQL several instances may start at once against one database;
// AutoMigrate's "does the table exist? create it" is not atomic, so two of
// them could both try to CREATE TABLE. The migration runs in a transaction
// holding a transaction-scoped advisory lock (released by COMMIT or by the
// connection dying), so instances migrate one after the other and the later
// ones find nothing to do. PostgreSQL DDL is transactional, so a failed
// migration leaves no half-made schema. On SQLite the writer's IMMEDIATE
// transaction already excludes other processes.
func (s *Store) Migrate(ctx context.Context) error {
	db := s.W.WithContext(ctx)
	if s.Driver != "postgres" {
		if err := db.AutoMigrate(All()...); err != nil {
			return fmt.Errorf("migrate schema: %w", err)
		}
		return nil
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrateLockKey).Error; err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		return tx.AutoMigrate(All()...)
	})
	if err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}

// migrateLockKey names the advisory lock that serialises migrations (any
// fixed number; advisory locks are per database).
const migrateLockKey int64 = 0x61757468737663 // "authsvc"

// Ping checks that the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.sqlR.PingContext(ctx); err != nil {
		return err
	}
	var one int
	return s.sqlR.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close closes the pools.
func (s *Store) Close() error {
	var errs []string
	if s.batch != nil {
		s.batch.close()
		s.batch = nil
	}
	if s.authStmt != nil {
		s.authStmt.Close()
	}
	for _, st := range []*sql.Stmt{s.liveStmt, s.userStmt} {
		if st != nil {
			st.Close()
		}
	}
	for _, db := range []*sql.DB{s.sqlP, s.sqlR} {
		if db != nil && db != s.sqlW {
			if err := db.Close(); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	if s.sqlW != nil {
		if err := s.sqlW.Close(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("close store: %s", strings.Join(errs, "; "))
	}
	return nil
}

// rebind turns ? placeholders into $n for PostgreSQL.
func (s *Store) rebind(q string) string {
	if s.Driver != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
