package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SessionState is the little that decides whether a session's tokens are
// still good: the token verify endpoint needs no more, so it reads four
// columns instead of the whole user (with SQLite every column read costs the
// driver a name, a declared type and, for text, a copy).
type SessionState struct {
	UserID     int64
	UserActive bool
	ExpiresAt  time.Time
	Revoked    bool
}

const liveQuery = `SELECT s.expires_at, s.revoked_at IS NOT NULL, u.id, u.is_active
 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`

// prepareRead prepares a hot-path query once on the read pool.
func (s *Store) prepareRead(ctx context.Context, what, q string) (*sql.Stmt, error) {
	st, err := s.sqlR.PrepareContext(ctx, s.rebind(q))
	if err != nil {
		return nil, fmt.Errorf("prepare %s query: %w", what, err)
	}
	return st, nil
}

// SessionStateOf loads what decides whether session sid is live.
func (s *Store) SessionStateOf(ctx context.Context, sid string, st *SessionState) error {
	err := s.liveStmt.QueryRowContext(ctx, sid).Scan(&st.ExpiresAt, &st.Revoked, &st.UserID, &st.UserActive)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("session state: %w", err)
	}
	return nil
}
