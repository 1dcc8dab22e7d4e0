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
	// Legacy, for a session still at generation 0, is the jti hash of the
	// legacy refresh token presented: the step retires its row in the same
	// transaction, so a version that still reads refresh_tokens (a rolling
	// upgrade, a rollback) sees it used and cannot fork the session.
	Legacy string
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

// The legacy row of a session's first rotation is retired first (the old
// versions locked the token before the session, so a mixed-version race
// cannot deadlock) and restored if the session then does not move; its
// used_at was NULL, or the retire would have matched nothing.
const (
	retireLegacySQL  = `UPDATE refresh_tokens SET used_at = ? WHERE jti_hash = ? AND used_at IS NULL`
	restoreLegacySQL = `UPDATE refresh_tokens SET used_at = NULL WHERE jti_hash = ?`
)

// refreshStmts are the two statements, prepared for one pool or bound to one
// transaction; step runs them the same way whichever it is. retire and
// restore are the legacy statements' text for this database (not prepared:
// the table may be gone).
type refreshStmts struct {
	step, state     *sql.Stmt
	retire, restore string
}

// execer runs the legacy statements: the transaction the step runs in.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// run applies st and fills out. A step that matched no row reads the
// session as it is, so the caller can tell a racing twin from a replay, a
// revoked session or an unknown one. Times are stored in UTC: SQLite
// compares them as text.
func (r refreshStmts) run(ctx context.Context, x execer, st *RefreshStep, out *RefreshState) error {
	now, exp := st.Now.UTC(), st.ExpiresAt.UTC()
	if st.Legacy != "" {
		n, err := affected(x.ExecContext(ctx, r.retire, now, st.Legacy))
		if err != nil {
			return fmt.Errorf("retire legacy refresh token: %w", err)
		}
		if n == 0 { // rotated by an old version meanwhile: not ours to move
			return r.read(ctx, st.SessionID, out)
		}
	}
	n, err := affected(r.step.ExecContext(ctx, now, now, exp, st.SessionID, st.UserID, st.From, now))
	if err != nil {
		return fmt.Errorf("rotate session %s: %w", st.SessionID, err)
	}
	if n == 1 {
		*out = RefreshState{Rotated: true, Found: true, UserID: st.UserID, Generation: st.From + 1,
			IssuedAt: now, ExpiresAt: exp}
		return nil
	}
	if st.Legacy != "" {
		if _, err := x.ExecContext(ctx, r.restore, st.Legacy); err != nil {
			return fmt.Errorf("restore legacy refresh token: %w", err)
		}
	}
	return r.read(ctx, st.SessionID, out)
}

func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
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
	s.refresh.retire, s.refresh.restore = s.rebind(retireLegacySQL), s.rebind(restoreLegacySQL)
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
	if st.Legacy == "" {
		return s.refresh.run(ctx, s.sqlW, st, out)
	}
	// A legacy row and the session change together or not at all.
	tx, err := s.sqlW.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin rotation: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := s.refresh.bind(ctx, tx).run(ctx, tx, st, out); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit rotation: %w", err)
	}
	return nil
}

// bind returns the statements bound to tx.
func (r refreshStmts) bind(ctx context.Context, tx *sql.Tx) refreshStmts {
	r.step, r.state = tx.StmtContext(ctx, r.step), tx.StmtContext(ctx, r.state)
	return r
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
