package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// RotateResult says what happened to a presented refresh token.
type RotateResult int

const (
	// Rotated: the token was live and unused; it is now retired and the
	// successor is stored.
	Rotated RotateResult = iota + 1
	// AlreadyUsed: the token had been rotated before, at UsedAt.
	AlreadyUsed
	// Unknown: no such token (never issued here, or cleaned up after expiry).
	Unknown
	// SessionEnded: the token's session is revoked or expired.
	SessionEnded
)

// Rotation is the outcome of Rotate.
type Rotation struct {
	Result  RotateResult
	UsedAt  time.Time // when AlreadyUsed
	Session Session   // the token's session, when found
}

// Rotate retires the refresh token parentHash and stores child as its
// successor, extending the session to child.ExpiresAt, in one transaction.
//
// The race it closes: two tabs (or two instances) present the same token at
// once. The conditional UPDATE ... WHERE used_at IS NULL lets exactly one of
// them win; on SQLite the writer lock serialises them, on PostgreSQL the
// loser's UPDATE waits for the winner's row lock and then matches no row.
// The loser then reads the winner's committed used_at and the caller decides
// between the grace answer and reuse detection.
//
// On SQLite the rotation is handed to the group-commit writer (batch.go),
// which commits it together with the others waiting and returns only after
// that commit; the outcome is the same as running it alone.
func (s *Store) Rotate(ctx context.Context, parentHash string, child *RefreshToken, now time.Time) (Rotation, error) {
	if s.batch != nil {
		return s.batch.rotate(ctx, parentHash, child, now)
	}
	var out Rotation
	err := s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		out, err = rotateIn(tx, parentHash, child, now)
		return err
	})
	if errors.Is(err, errSessionEnded) {
		return Rotation{Result: SessionEnded, Session: out.Session}, nil
	}
	return out, err
}

// errSessionEnded rolls back a rotation whose session was revoked under it.
var errSessionEnded = errors.New("session ended during rotation")

// rotateIn is one rotation inside the caller's transaction: the plain path
// runs it alone, the SQLite group-commit writer runs many in one transaction
// (see batch.go).
func rotateIn(tx *gorm.DB, parentHash string, child *RefreshToken, now time.Time) (Rotation, error) {
	var out Rotation
	var parent RefreshToken
	err := tx.Where("jti_hash = ?", parentHash).Take(&parent).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		out.Result = Unknown
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("load refresh token: %w", err)
	}
	if err := tx.Where("id = ?", parent.SessionID).Take(&out.Session).Error; err != nil {
		return out, fmt.Errorf("load session %s: %w", parent.SessionID, err)
	}
	if !out.Session.Live(now) {
		out.Result = SessionEnded
		return out, nil
	}
	res := tx.Model(&RefreshToken{}).Where("jti_hash = ? AND used_at IS NULL", parentHash).Update("used_at", now)
	if res.Error != nil {
		return out, fmt.Errorf("retire refresh token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		var used RefreshToken
		if err := tx.Where("jti_hash = ?", parentHash).Take(&used).Error; err != nil {
			return out, fmt.Errorf("reload refresh token: %w", err)
		}
		out.Result = AlreadyUsed
		if used.UsedAt != nil {
			out.UsedAt = *used.UsedAt
		}
		return out, nil
	}
	child.SessionID = parent.SessionID
	if err := tx.Create(child).Error; err != nil {
		return out, fmt.Errorf("store successor refresh token: %w", err)
	}
	// The session was read live above, but another instance may have
	// revoked it since (reuse detected there, logout, password change).
	// Under READ COMMITTED this UPDATE waits for that writer's row lock and
	// re-checks the WHERE on the committed row, so a revocation that won the
	// race makes it match nothing: the caller rolls the rotation back and
	// answers as for an ended session instead of handing out a new pair.
	ext := tx.Model(&Session{}).Where("id = ? AND revoked_at IS NULL", parent.SessionID).
		Updates(map[string]any{"expires_at": child.ExpiresAt, "last_used_at": now})
	if ext.Error != nil {
		return out, fmt.Errorf("extend session: %w", ext.Error)
	}
	if ext.RowsAffected == 0 {
		return out, errSessionEnded
	}
	out.Session.ExpiresAt, out.Session.LastUsedAt = child.ExpiresAt, now
	out.Result = Rotated
	return out, nil
}

// RefreshByHash loads a refresh token row.
func (s *Store) RefreshByHash(ctx context.Context, hash string) (*RefreshToken, error) {
	var rt RefreshToken
	err := s.R.WithContext(ctx).Where("jti_hash = ?", hash).Take(&rt).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load refresh token: %w", err)
	}
	return &rt, nil
}
