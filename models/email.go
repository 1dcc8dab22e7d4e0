package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// EmailToken is a link mailed to prove an address: the user's address
// (verification) or the address the user asked to change to (Change). Only
// its SHA-256 is stored. It is single-use, expires, and is bound to the
// address it was sent to: once the user's address (or pending address) is
// another, it applies to nothing.
type EmailToken struct {
	Hash      string     `gorm:"primaryKey;size:64"`
	UserID    int64      `gorm:"not null;index"`
	User      *User      `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Email     string     `gorm:"size:254;not null"`
	Change    bool       `gorm:"not null"`
	CreatedAt time.Time  `gorm:"not null"`
	ExpiresAt time.Time  `gorm:"not null;index"`
	UsedAt    *time.Time ``
}

// TableName keeps the table name readable in SQL and docs.
func (EmailToken) TableName() string { return "email_tokens" }

// ErrTokenVoid is an email token that is used, expired, or whose address
// is no longer the one it proves.
var ErrTokenVoid = errors.New("email token void")

// CreateEmailToken stores t, first dropping the user's links that can no
// longer apply; it stores nothing when the user already has max live links
// of t's kind (returns false), so that an inbox cannot be flooded.
func (s *Store) CreateEmailToken(ctx context.Context, t *EmailToken, max int) (bool, error) {
	created := false
	err := s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Spent and expired links go, and so do links of the same kind for
		// another address (an address asked for before this one, or an
		// address the account had): they can apply to nothing any more,
		// and must not use up the room of the links that can.
		if err := tx.Where("user_id = ? AND (used_at IS NOT NULL OR expires_at <= ? OR (change = ? AND email <> ?))",
			t.UserID, t.CreatedAt, t.Change, t.Email).Delete(&EmailToken{}).Error; err != nil {
			return fmt.Errorf("clean email tokens: %w", err)
		}
		// Verification links and change links are counted apart, so that
		// resend requests by anyone cannot starve the user's own change.
		var live int64
		if err := tx.Model(&EmailToken{}).Where("user_id = ? AND change = ?", t.UserID, t.Change).Count(&live).Error; err != nil {
			return fmt.Errorf("count email tokens: %w", err)
		}
		if live >= int64(max) {
			return nil
		}
		if err := tx.Create(t).Error; err != nil {
			return fmt.Errorf("create email token: %w", err)
		}
		created = true
		return nil
	})
	return created, err
}

// voidEmailChange drops the user's pending address (its links then apply
// to nothing): a new password, set by the user or by reset, ends a change
// that whoever had the old password may have asked for.
func voidEmailChange(tx *gorm.DB, userID int64) error {
	if err := tx.Model(&User{}).Where("id = ?", userID).Update("pending_email", nil).Error; err != nil {
		return fmt.Errorf("void pending email of user %d: %w", userID, err)
	}
	return nil
}

// EmailTokenByHash loads an email token.
func (s *Store) EmailTokenByHash(ctx context.Context, hash string) (*EmailToken, error) {
	var t EmailToken
	err := s.R.WithContext(ctx).Where("hash = ?", hash).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load email token: %w", err)
	}
	return &t, nil
}

// UseEmailToken spends t and applies it in one transaction: a verification
// marks the user's address verified while it is still t.Email; a change
// makes the pending address (still t.Email) the address, verified. Nothing
// is written when the token is spent, expired or void (ErrTokenVoid), or
// when another account has the address by now (ErrEmailTaken).
func (s *Store) UseEmailToken(ctx context.Context, t *EmailToken, emailKey string, now time.Time) error {
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&EmailToken{}).Where("hash = ? AND used_at IS NULL AND expires_at > ?", t.Hash, now).
			Update("used_at", now)
		if res.Error != nil {
			return fmt.Errorf("spend email token: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrTokenVoid
		}
		q := tx.Model(&User{}).Where("id = ? AND is_active", t.UserID)
		set := map[string]any{"email_verified": true}
		if t.Change {
			q = q.Where("pending_email = ?", t.Email)
			set["email"], set["email_key"], set["pending_email"] = t.Email, emailKey, nil
		} else {
			q = q.Where("email = ?", t.Email)
		}
		res = q.Updates(set)
		if res.Error != nil {
			if e := uniqueViolation(res.Error); e != nil {
				return e
			}
			return fmt.Errorf("apply email token: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrTokenVoid
		}
		return nil
	})
}
