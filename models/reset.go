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
// password hash when the token was issued: once the password changes (by
// this reset, a password change, or a login that rehashes it) the digest no
// longer matches and the token is void.
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

// ConsumeResetToken marks the token used if it is still unused, unexpired and
// issued for the password the user has now. It reports whether this call
// consumed it.
//
// The race it closes: two confirms with the same token at once. The
// conditional UPDATE ... WHERE used_at IS NULL matches for exactly one of
// them (SQLite serialises writers; on PostgreSQL the second UPDATE waits for
// the first's row lock and then matches nothing), so only one sets a password.
func (s *Store) ConsumeResetToken(ctx context.Context, hash, fingerprint string, now time.Time) (bool, error) {
	res := s.W.WithContext(ctx).Model(&PasswordResetToken{}).
		Where("hash = ? AND used_at IS NULL AND expires_at > ? AND password_fingerprint = ?", hash, now, fingerprint).
		Update("used_at", now)
	if res.Error != nil {
		return false, fmt.Errorf("consume reset token: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

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
