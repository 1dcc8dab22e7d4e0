package models

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	// The SQLite driver under gorm.io/driver/sqlite, imported by name so that
	// go.mod pins a current version directly (the gorm driver alone resolves
	// an old one).
	_ "github.com/mattn/go-sqlite3"
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
	// refresh are the rotation statements on the writer pool; refreshRead
	// reads refresh state on the point-read pool (refresh.go).
	refresh, refreshRead refreshStmts
	// batch is the group-commit writer for refresh rotations (SQLite only).
	// Set once by Open and never cleared: Close stops it, and a rotation
	// after that is answered ErrWriterClosed.
	batch *rotationBatcher
	// limits caps sessions and API keys per user (bounds.go).
	limits Limits
	// legacy is whether the pre-generation refresh_tokens table is still
	// there to be read (legacy.go).
	legacy atomic.Bool
	now    func() time.Time
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
	// Now is the clock (nil: time.Now); the migration reads it to tell
	// whether legacy refresh tokens can still be live.
	Now func() time.Time
	// batchHooks hold the group-commit writer at chosen moments (tests).
	batchHooks batchHooks
}

// Open connects, applies connection settings and migrates the schema.
func Open(ctx context.Context, o Options) (*Store, error) {
	cfg := &gorm.Config{Logger: logger.Discard, PrepareStmt: true, SkipDefaultTransaction: true}
	s := &Store{Driver: o.Driver, limits: o.Limits, now: o.Now}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	switch o.Driver {
	case "sqlite":
		err = s.openSQLite(ctx, o, cfg)
	case "postgres":
		err = s.openPostgres(o, cfg)
	default:
		return nil, fmt.Errorf("unknown database driver %q", o.Driver)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.prepareRefresh(ctx); err != nil {
		s.Close()
		return nil, err
	}
	// PostgreSQL commits concurrent transactions in parallel and needs no
	// help; SQLite has one writer and one fsync per commit (see batch.go).
	if o.Driver == "sqlite" && !o.PlainRotate {
		s.batch = newRotationBatcher(s.sqlW, s.refresh, o.RotationObserver, o.Log, o.batchHooks)
	}
	return s, nil
}

// Migrate creates missing tables, columns and indexes, so running a newer
// binary on an older database upgrades it in place. The one thing it
// removes is the legacy refresh_tokens table, once no row in it can be live
// (legacy.go).
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
	err := s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.Driver == "postgres" {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrateLockKey).Error; err != nil {
				return fmt.Errorf("take migration lock: %w", err)
			}
		}
		if err := tx.AutoMigrate(All()...); err != nil {
			return err
		}
		legacy, err := dropDeadLegacy(tx, s.now().UTC())
		s.legacy.Store(legacy)
		return err
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
	}
	s.refresh.close()
	s.refreshRead.close()
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
