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

// prepareRead prepares a hot-path query once on the point-read pool.
func (s *Store) prepareRead(ctx context.Context, what, q string) (*sql.Stmt, error) {
	st, err := s.sqlP.PrepareContext(ctx, s.rebind(q))
	if err != nil {
		return nil, fmt.Errorf("prepare %s query: %w", what, err)
	}
	return st, nil
}

// pointCtx is the context for a one-row read by primary key on the hot path.
// On SQLite it drops ctx's cancellation and deadline: such a read takes
// microseconds and, in WAL mode, does not wait for the writer, while a
// cancellable context makes database/sql and go-sqlite3 each start a
// goroutine per query to watch it (a tenth of a token check's cost, in two
// context switches). These reads have their own small pool (sqlP), so they
// never wait for a connection behind slower queries either; a request whose
// deadline has already passed does not start one. PostgreSQL reads keep the
// context: there the request deadline is what turns a database that stopped
// answering into a 503.
func (s *Store) pointCtx(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.Driver == "sqlite" {
		return context.WithoutCancel(ctx), nil
	}
	return ctx, nil
}

// SessionStateOf loads what decides whether session sid is live at now. It
// reads the database every time (the prepared liveStmt): another process may
// end the session on the same SQLite file (authsvc changepassword), and the
// verify endpoint must see that at once. now is unused; the caller compares
// ExpiresAt with it.
func (s *Store) SessionStateOf(ctx context.Context, sid string, now time.Time, st *SessionState) error {
	pctx, err := s.pointCtx(ctx)
	if err == nil {
		err = s.liveStmt.QueryRowContext(pctx, sid).Scan(&st.ExpiresAt, &st.Revoked, &st.UserID, &st.UserActive)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("session state: %w", err)
	}
	return nil
}
