package models

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
)

// openSQLite opens the writer, reader and point-read pools over one file.
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
	// a deadlock until the waiter's context ends (the PostgreSQL case
	// below, with a pool of one). Preparing on SQLite costs microseconds.
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

// openPostgres opens the one pool.
func (s *Store) openPostgres(o Options, cfg *gorm.Config) error {
	var err error
	// pgx already prepares and caches every statement per connection.
	// GORM's own statement cache on top of it serialises preparation
	// under one mutex and, inside transactions, can wait for a second
	// pool connection while holding the first: with every connection in
	// an open transaction (50 concurrent refreshes) the pool deadlocks.
	cfg.PrepareStmt = false
	if s.W, err = gorm.Open(postgres.Open(o.DSN), cfg); err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	if s.sqlW, err = s.W.DB(); err != nil {
		return err
	}
	n := o.MaxConns
	if n <= 0 {
		n = 4 * runtime.NumCPU()
	}
	s.sqlW.SetMaxOpenConns(n)
	s.sqlW.SetMaxIdleConns(n)
	s.sqlW.SetConnMaxIdleTime(5 * time.Minute)
	s.R, s.sqlR, s.sqlP = s.W, s.sqlW, s.sqlW
	return nil
}
