package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// batchStmts are the group-commit writer's statements, prepared once on the
// single writer connection. The writer runs every rotation of the service
// one after another, so its cost per rotation caps the refresh rate: plain
// prepared statements cost a fraction of the ORM's per-call reflection, and
// the parent token and its session come back in one query.
type batchStmts struct {
	load, retire, insert, extend, save, rollback, release *sql.Stmt
}

const (
	batchLoadSQL = `SELECT r.used_at, s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at,
 s.revoked_at, s.revoke_reason, s.user_agent, s.ip
 FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE r.jti_hash = ?`
	batchRetireSQL = `UPDATE refresh_tokens SET used_at = ? WHERE jti_hash = ? AND used_at IS NULL`
	batchInsertSQL = `INSERT INTO refresh_tokens (jti_hash, session_id, issued_at, expires_at, used_at) VALUES (?, ?, ?, ?, NULL)`
	batchExtendSQL = `UPDATE sessions SET expires_at = ?, last_used_at = ? WHERE id = ?`
)

func prepareBatch(ctx context.Context, db *sql.DB) (*batchStmts, error) {
	var b batchStmts
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&b.load, batchLoadSQL}, {&b.retire, batchRetireSQL}, {&b.insert, batchInsertSQL},
		{&b.extend, batchExtendSQL}, {&b.save, "SAVEPOINT rot"}, {&b.rollback, "ROLLBACK TO rot"},
		{&b.release, "RELEASE rot"},
	} {
		st, err := db.PrepareContext(ctx, p.q)
		if err != nil {
			b.close()
			return nil, fmt.Errorf("prepare rotation writer: %w", err)
		}
		*p.dst = st
	}
	return &b, nil
}

func (b *batchStmts) close() {
	for _, st := range []*sql.Stmt{b.load, b.retire, b.insert, b.extend, b.save, b.rollback, b.release} {
		if st != nil {
			st.Close()
		}
	}
}

// batchTx is one group commit's transaction with the statements bound to it.
type batchTx struct {
	tx                                                    *sql.Tx
	load, retire, insert, extend, save, rollback, release *sql.Stmt
}

func (b *batchStmts) begin(ctx context.Context, db *sql.DB) (*batchTx, error) {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock on the writer DSN)
	if err != nil {
		return nil, fmt.Errorf("begin rotation batch: %w", err)
	}
	return &batchTx{tx: tx,
		load: tx.Stmt(b.load), retire: tx.Stmt(b.retire), insert: tx.Stmt(b.insert), extend: tx.Stmt(b.extend),
		save: tx.Stmt(b.save), rollback: tx.Stmt(b.rollback), release: tx.Stmt(b.release),
	}, nil
}

// rotate is rotateIn (refresh.go) in plain SQL: the same checks in the same
// order and the same answers; TestRotateOutcomes runs both paths. Writes
// happen inside SAVEPOINT rot so a failure undoes this rotation only.
func (t *batchTx) rotate(parentHash string, child *RefreshToken, now time.Time) (Rotation, error) {
	var out Rotation
	var usedAt, revokedAt sql.NullTime
	sess := &out.Session
	err := t.load.QueryRow(parentHash).Scan(&usedAt, &sess.ID, &sess.UserID, &sess.CreatedAt, &sess.LastUsedAt,
		&sess.ExpiresAt, &revokedAt, &sess.RevokeReason, &sess.UserAgent, &sess.IP)
	if errors.Is(err, sql.ErrNoRows) {
		out.Result = Unknown
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("load refresh token: %w", err)
	}
	if revokedAt.Valid {
		t := revokedAt.Time
		sess.RevokedAt = &t
	}
	if !sess.Live(now) {
		out.Result = SessionEnded
		return out, nil
	}
	if usedAt.Valid {
		out.Result, out.UsedAt = AlreadyUsed, usedAt.Time
		return out, nil
	}
	if _, err := t.save.Exec(); err != nil {
		return out, fmt.Errorf("savepoint: %w", err)
	}
	if err := t.write(parentHash, sess.ID, child, now); err != nil {
		if _, rerr := t.rollback.Exec(); rerr != nil {
			return out, fmt.Errorf("%w; and rolling it back: %w", err, rerr)
		}
		_, _ = t.release.Exec()
		return out, err
	}
	if _, err := t.release.Exec(); err != nil {
		return out, fmt.Errorf("release savepoint: %w", err)
	}
	sess.ExpiresAt, sess.LastUsedAt = child.ExpiresAt, now
	out.Result = Rotated
	return out, nil
}

func (t *batchTx) write(parentHash, sid string, child *RefreshToken, now time.Time) error {
	res, err := t.retire.Exec(now, parentHash)
	if err != nil {
		return fmt.Errorf("retire refresh token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		// Cannot happen: this transaction holds the write lock and has just
		// read used_at as NULL.
		return fmt.Errorf("retire refresh token: %d rows, %v", n, err)
	}
	child.SessionID = sid
	if _, err := t.insert.Exec(child.JTIHash, sid, child.IssuedAt, child.ExpiresAt); err != nil {
		return fmt.Errorf("store successor refresh token: %w", err)
	}
	if _, err := t.extend.Exec(child.ExpiresAt, now, sid); err != nil {
		return fmt.Errorf("extend session: %w", err)
	}
	return nil
}
