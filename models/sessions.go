package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// CreateSession stores a new session (its refresh state set by the caller:
// generation 1, issued now), if the user is still active at credentialVersion (the version the login
// read with the password it checked); otherwise it writes nothing and
// returns ErrCredentialChanged. The user's oldest sessions beyond
// Limits.SessionsPerUser end in the same transaction.
func (s *Store) CreateSession(ctx context.Context, sess *Session, lastLogin time.Time, credentialVersion int64) error {
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return s.createSession(tx, sess, lastLogin, credentialVersion)
	})
}

func (s *Store) createSession(tx *gorm.DB, sess *Session, lastLogin time.Time, credentialVersion int64) error {
	if err := recordLogin(tx, sess.UserID, credentialVersion, lastLogin); err != nil {
		return err
	}
	if err := tx.Create(sess).Error; err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return s.capSessions(tx, sess)
}

// recordLogin sets last_login, but only while the user is active at
// credentialVersion, and comes first in the transaction that writes a new
// credential. On SQLite the writer is one IMMEDIATE transaction at a time,
// so nothing commits between this check and the insert. On PostgreSQL the
// UPDATE takes the user's row lock: a password change, deactivation or
// logout-everywhere that committed first makes it re-check the WHERE on the
// new row and match nothing; one that comes later waits for this
// transaction and then revokes the session or key it wrote (its revocation
// statements run after the row lock is granted, so they see this commit).
func recordLogin(tx *gorm.DB, userID, credentialVersion int64, at time.Time) error {
	res := tx.Model(&User{}).Where("id = ? AND credential_version = ? AND is_active", userID, credentialVersion).
		Update("last_login", at)
	if res.Error != nil {
		return fmt.Errorf("set last_login: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrCredentialChanged
	}
	return nil
}

// AuthRow is what the authentication middleware needs about a session and its
// user, read in one indexed query.
type AuthRow struct {
	User       User
	ExpiresAt  time.Time
	RevokedAt  sql.NullTime
	LastUsedAt time.Time
}

const authQuery = `SELECT s.expires_at, s.revoked_at, s.last_used_at, ` + userColumns + `
 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`

func (s *Store) prepare(ctx context.Context) error {
	var err error
	if s.authStmt, err = s.prepareRead(ctx, "auth", authQuery); err != nil {
		return err
	}
	if s.userStmt, err = s.prepareRead(ctx, "user", userByIDQuery); err != nil {
		return err
	}
	s.liveStmt, err = s.prepareRead(ctx, "session state", liveQuery)
	return err
}

// AuthLookup loads session sid with its user: the single query behind every
// Bearer-authenticated request.
func (s *Store) AuthLookup(ctx context.Context, sid string, row *AuthRow) error {
	x := userScan{u: &row.User}
	pctx, err := s.pointCtx(ctx)
	if err == nil {
		err = s.authStmt.QueryRowContext(pctx, sid).Scan(append([]any{&row.ExpiresAt, &row.RevokedAt, &row.LastUsedAt}, x.dest()...)...)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("auth lookup: %w", err)
	}
	x.finish()
	return nil
}

// TouchSession records activity on a session.
func (s *Store) TouchSession(ctx context.Context, sid string, now time.Time) error {
	err := s.W.WithContext(ctx).Model(&Session{}).Where("id = ?", sid).Update("last_used_at", now).Error
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// SessionByID loads one session.
func (s *Store) SessionByID(ctx context.Context, id string) (*Session, error) {
	var sess Session
	err := s.R.WithContext(ctx).Where("id = ?", id).Take(&sess).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	return &sess, nil
}

// LiveSessions lists a user's live sessions, newest first, one page at a time.
func (s *Store) LiveSessions(ctx context.Context, userID int64, now time.Time, offset, limit int) ([]Session, int64, error) {
	q := s.R.WithContext(ctx).Model(&Session{}).
		Where("user_id = ? AND revoked_at IS NULL AND expires_at > ?", userID, now)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count sessions: %w", err)
	}
	var out []Session
	if err := q.Order("created_at DESC, id").Offset(offset).Limit(limit).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list sessions: %w", err)
	}
	return out, total, nil
}

// RevokeSession ends session id if it belongs to userID (0: any user) and is
// still live. found is false when no such session of that user exists.
func (s *Store) RevokeSession(ctx context.Context, id string, userID int64, reason string, now time.Time) (found bool, err error) {
	q := s.W.WithContext(ctx).Model(&Session{}).Where("id = ? AND revoked_at IS NULL", id)
	if userID != 0 {
		q = q.Where("user_id = ?", userID)
	}
	res := q.Updates(map[string]any{"revoked_at": now, "revoke_reason": reason})
	if res.Error != nil {
		return false, fmt.Errorf("revoke session: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

func revokeUserSessions(db *gorm.DB, userID int64, keep, reason string, now time.Time) error {
	q := db.Model(&Session{}).Where("user_id = ? AND revoked_at IS NULL", userID)
	if keep != "" {
		q = q.Where("id <> ?", keep)
	}
	if err := q.Updates(map[string]any{"revoked_at": now, "revoke_reason": reason}).Error; err != nil {
		return fmt.Errorf("revoke sessions of user %d: %w", userID, err)
	}
	return nil
}

// SessionAuth is when and how the user behind session sid proved who they
// are (Session.AuthTime, falling back to CreatedAt for sessions from before
// it was recorded, and Session.AMR).
func (s *Store) SessionAuth(ctx context.Context, sid string) (time.Time, string, error) {
	var sess Session
	err := s.R.WithContext(ctx).Select("created_at", "auth_time", "amr").Where("id = ?", sid).Take(&sess).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return time.Time{}, "", ErrNotFound
	}
	if err != nil {
		return time.Time{}, "", fmt.Errorf("read auth of session: %w", err)
	}
	if sess.AuthTime != nil {
		return *sess.AuthTime, sess.AMR, nil
	}
	return sess.CreatedAt, sess.AMR, nil
}
