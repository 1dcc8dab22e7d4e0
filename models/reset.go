package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// PasswordResetToken is one emailed reset link, stored by the SHA-256 of the
// token (never the token). PasswordFingerprint is a digest of the user's
// password hash and address when the token was issued: once either changes
// (by this reset, a password change, a login that rehashes it, a new
// address) the digest no longer matches and the token is void.
type PasswordResetToken struct {
	Hash                string     `gorm:"primaryKey;size:64"`
	UserID              int64      `gorm:"not null;index"`
	User                *User      `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	PasswordFingerprint string     `gorm:"size:64;not null"`
	CreatedAt           time.Time  `gorm:"not null"`
	ExpiresAt           time.Time  `gorm:"not null;index"`
	UsedAt              *time.Time ``
}

// CreateResetToken stores t and deletes the user's tokens that can no longer
// be used (expired or used), so the table does not grow with every request.
func (s *Store) CreateResetToken(ctx context.Context, t *PasswordResetToken, now time.Time) error {
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("user_id = ? AND (used_at IS NOT NULL OR expires_at <= ?)", t.UserID, now).
			Delete(&PasswordResetToken{}).Error; err != nil {
			return fmt.Errorf("clean reset tokens: %w", err)
		}
		if err := tx.Create(t).Error; err != nil {
			return fmt.Errorf("create reset token: %w", err)
		}
		return nil
	})
}

// ResetTokenByHash loads a reset token row.
func (s *Store) ResetTokenByHash(ctx context.Context, hash string) (*PasswordResetToken, error) {
	var t PasswordResetToken
	err := s.R.WithContext(ctx).Where("hash = ?", hash).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load reset token: %w", err)
	}
	return &t, nil
}

// PasswordReset is one confirmed reset, ready to write: the token, the user
// as the confirmation read and checked it, and the new password's hash.
type PasswordReset struct {
	TokenHash   string
	Fingerprint string // the token row's, which matched the user read
	UserID      int64
	// OldHash and OldEmail are what the fingerprint was computed from: the
	// write only happens while the user still has them.
	OldHash, OldEmail string
	NewHash           string
	Reason            string
	Now               time.Time
}

// ResetPassword consumes the reset token and sets the new password in one
// transaction, bumping the credential version and ending every session and
// API key of the user. It reports false, and writes nothing, when the token
// is no longer unused and unexpired, or the user's password or address is no
// longer the one the token was issued for, or the user was deactivated.
//
// One transaction, so a failure cannot consume the token and keep the old
// password; the user row is compared in it, so a password changed after the
// confirmation was validated is not overwritten. The races: two confirms
// with one token, or a confirm and a password change. On SQLite the writer
// serialises them. On PostgreSQL the first UPDATE takes the user's row lock;
// the other waits for it and re-checks its WHERE on the committed row, which
// no longer matches (the hash changed), so it writes nothing.
func (s *Store) ResetPassword(ctx context.Context, r PasswordReset) (bool, error) {
	err := s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{}).
			Where("id = ? AND password_hash = ? AND email = ? AND is_active", r.UserID, r.OldHash, r.OldEmail).
			Updates(map[string]any{"password_hash": r.NewHash, "credential_version": bumpVersion})
		if res.Error != nil {
			return fmt.Errorf("set password of user %d: %w", r.UserID, res.Error)
		}
		if res.RowsAffected == 0 {
			return errResetStale
		}
		res = tx.Model(&PasswordResetToken{}).
			Where("hash = ? AND user_id = ? AND used_at IS NULL AND expires_at > ? AND password_fingerprint = ?",
				r.TokenHash, r.UserID, r.Now, r.Fingerprint).
			Update("used_at", r.Now)
		if res.Error != nil {
			return fmt.Errorf("consume reset token: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return errResetStale
		}
		if err := voidEmailChange(tx, r.UserID); err != nil {
			return err
		}
		return revokeUserAccess(tx, r.UserID, "", "", r.Reason, r.Now)
	})
	if errors.Is(err, errResetStale) {
		return false, nil
	}
	return err == nil, err
}

// errResetStale rolls back a reset whose token or user changed under it.
var errResetStale = errors.New("reset token or user changed")

// LiveResetTokens counts the user's tokens that could still be used.
func (s *Store) LiveResetTokens(ctx context.Context, userID int64, now time.Time) (int64, error) {
	var n int64
	err := s.R.WithContext(ctx).Model(&PasswordResetToken{}).
		Where("user_id = ? AND used_at IS NULL AND expires_at > ?", userID, now).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count reset tokens: %w", err)
	}
	return n, nil
}
