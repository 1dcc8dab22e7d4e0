package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RefreshStep asks to rotate session SessionID from generation From to
// From+1: the refresh token of generation From was presented by UserID, and
// its successor is issued at Now and expires at ExpiresAt, which becomes the
// session's expiry.
type RefreshStep struct {
	SessionID string
	UserID    int64
	From      int64
	Now       time.Time
	ExpiresAt time.Time
}

// RefreshState is a session's refresh state after a step: whether the step
// moved the generation (Rotated) and, either way, what the session holds now.
// The caller decides what a step that did not move it means (refresh.go in
// accounts): the rules are not the store's.
type RefreshState struct {
	Rotated    bool
	Found      bool
	UserID     int64
	Generation int64
	IssuedAt   time.Time // the current generation's iat; zero for a legacy session
	ExpiresAt  time.Time
	Revoked    bool
}

// The statement behind every rotation, on both databases. One conditional
// UPDATE is the whole lock: on SQLite the single writer runs it alone, on
// PostgreSQL a concurrent one waits for the row lock and re-checks the WHERE
// on the committed row (READ COMMITTED), so of two presentations of one
// token exactly one matches. The session's storage does not grow however
// often it refreshes.
const (
	stepRefreshSQL = `UPDATE sessions SET refresh_generation = refresh_generation + 1,
 refresh_issued_at = ?, last_used_at = ?, expires_at = ?
 WHERE id = ? AND user_id = ? AND refresh_generation = ? AND revoked_at IS NULL AND expires_at > ?`
	refreshStateSQL = `SELECT user_id, refresh_generation, refresh_issued_at, expires_at, revoked_at IS NOT NULL
 FROM sessions WHERE id = ?`
)

// refreshStmts are the two statements, prepared for one pool or bound to one
// transaction; step runs them the same way whichever it is.
type refreshStmts struct{ step, state *sql.Stmt }

// run applies st and fills out. A step that matched no row reads the
// session as it is, so the caller can tell a racing twin from a replay, a
// revoked session or an unknown one.
func (r refreshStmts) run(ctx context.Context, st *RefreshStep, out *RefreshState) error {
	res, err := r.step.ExecContext(ctx, st.Now, st.Now, st.ExpiresAt, st.SessionID, st.UserID, st.From, st.Now)
	if err != nil {
		return fmt.Errorf("rotate session %s: %w", st.SessionID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("rotate session %s: %w", st.SessionID, err)
	}
	if n == 1 {
		*out = RefreshState{Rotated: true, Found: true, UserID: st.UserID, Generation: st.From + 1,
			IssuedAt: st.Now, ExpiresAt: st.ExpiresAt}
		return nil
	}
	return r.read(ctx, st.SessionID, out)
}

func (r refreshStmts) read(ctx context.Context, sid string, out *RefreshState) error {
	var issued sql.NullTime
	*out = RefreshState{}
	err := r.state.QueryRowContext(ctx, sid).Scan(&out.UserID, &out.Generation, &issued, &out.ExpiresAt, &out.Revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read session %s: %w", sid, err)
	}
	out.Found = true
	if issued.Valid {
		out.IssuedAt = issued.Time
	}
	return nil
}

func (s *Store) prepareRefresh(ctx context.Context) error {
	var err error
	if s.refresh.step, err = s.sqlW.PrepareContext(ctx, s.rebind(stepRefreshSQL)); err != nil {
		return fmt.Errorf("prepare rotation: %w", err)
	}
	if s.refresh.state, err = s.sqlW.PrepareContext(ctx, s.rebind(refreshStateSQL)); err != nil {
		return fmt.Errorf("prepare rotation: %w", err)
	}
	s.refreshRead.state, err = s.prepareRead(ctx, "refresh state", refreshStateSQL)
	return err
}

// StepRefresh applies one rotation step and reports the session's state.
//
// On SQLite the step goes to the group-commit writer (batch.go), which runs
// it with the others waiting in one transaction and answers only after that
// commit; on PostgreSQL (or with PlainRotate) it runs as its own statement.
// The statement and what is read back are the same either way.
func (s *Store) StepRefresh(ctx context.Context, st *RefreshStep, out *RefreshState) error {
	if s.batch != nil {
		return s.batch.step(ctx, st, out)
	}
	return s.refresh.run(ctx, st, out)
}

// RefreshStateOf reads session sid's refresh state (Found false: no such
// session) on the read pool, for the verify and logout endpoints.
func (s *Store) RefreshStateOf(ctx context.Context, sid string, out *RefreshState) error {
	pctx, err := s.pointCtx(ctx)
	if err != nil {
		return err
	}
	return s.refreshRead.read(pctx, sid, out)
}

func (r refreshStmts) close() {
	for _, st := range []*sql.Stmt{r.step, r.state} {
		if st != nil {
			st.Close()
		}
	}
}
