package models

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the SQLite database to path while the
// service keeps running. VACUUM INTO reads one snapshot (a WAL read
// transaction, so writers are not blocked) and writes a compact, standalone
// database file. It writes to a temporary name and renames it into place
// after an fsync, so path is either absent or a complete backup.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.Driver != "sqlite" {
		return fmt.Errorf("backup: %s databases are backed up with their own tools (pg_dump for PostgreSQL)", s.Driver)
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s already exists", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmp := path + ".partial"
	_ = os.Remove(tmp)
	if _, err := s.sqlW.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("backup: vacuum into %s: %w", tmp, err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return syncFile(filepath.Dir(path))
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
