package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// MFAChallenge is a login that passed its password check and waits for the
// second factor: the mfa_token's row. Only the token's SHA-256 is stored.
// It is single-use, short-lived and dies after a few wrong codes; it
// carries what the finished login needs (which endpoint started it, the
// credential version the password was checked at, the client).
type MFAChallenge struct {
	Hash              string     `gorm:"primaryKey;size:64"`
	UserID            int64      `gorm:"not null;index"`
	User              *User      `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Flow              string     `gorm:"size:16;not null"`
	KeyTTLSeconds     int64      `gorm:"not null;default:0"`
	CredentialVersion int64      `gorm:"not null"`
	Attempts          int        `gorm:"not null;default:0"`
	CreatedAt         time.Time  `gorm:"not null"`
	ExpiresAt         time.Time  `gorm:"not null;index"`
	UsedAt            *time.Time ``
	UserAgent         string     `gorm:"size:512;not null"`
	IP                string     `gorm:"size:64;not null"`
}

// TableName keeps the table name readable in SQL and docs.
func (MFAChallenge) TableName() string { return "mfa_challenges" }

// CreateChallenge stores c.
func (s *Store) CreateChallenge(ctx context.Context, c *MFAChallenge) error {
	if err := s.W.WithContext(ctx).Create(c).Error; err != nil {
		return fmt.Errorf("create mfa challenge: %w", err)
	}
	return nil
}

// Challenge loads the challenge whose token hashes to hash.
func (s *Store) Challenge(ctx context.Context, hash string) (*MFAChallenge, error) {
	var c MFAChallenge
	err := s.R.WithContext(ctx).Where("hash = ?", hash).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read mfa challenge: %w", err)
	}
	return &c, nil
}

// ReserveAttempt counts one code attempt against the challenge before the
// code is checked, while it is unused, unexpired and has attempts left:
// false when it has none. Counting first (one conditional UPDATE) means
// concurrent guesses on one token cannot all be checked before any is
// counted: at most maxAttempts codes are ever checked per token.
func (s *Store) ReserveAttempt(ctx context.Context, hash string, maxAttempts int, now time.Time) (bool, error) {
	res := s.W.WithContext(ctx).Model(&MFAChallenge{}).
		Where("hash = ? AND used_at IS NULL AND attempts < ? AND expires_at > ?", hash, maxAttempts, now).
		Update("attempts", gorm.Expr("attempts + 1"))
	if res.Error != nil {
		return false, fmt.Errorf("count mfa challenge attempt: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// FactorUse is the factor a finished challenge spends: a TOTP step
// (RecoveryID 0) or a recovery code.
type FactorUse struct {
	Step       int64
	RecoveryID int64
}

// Outcomes of FinishChallenge.
var (
	// ErrChallengeDead: used, expired or out of attempts (by another
	// request since it was read).
	ErrChallengeDead = errors.New("mfa challenge no longer usable")
	// ErrFactorUsed: the TOTP step or recovery code was spent by another
	// request since it was checked.
	ErrFactorUsed = errors.New("second factor already used")
)

// Opening is what a finished challenge opens: a session or an API key,
// written (as CreateSession and CreateAPIKey write them, at
// CredentialVersion) in the challenge's own transaction.
type Opening struct {
	Session           *Session
	Key               *APIKey
	CredentialVersion int64
}

// FinishChallenge spends the challenge and the factor and writes what the
// login opens, all in one transaction, or nothing: a replayed code leaves
// the challenge to count the failure, a dead challenge leaves the code
// unspent, and a login refused at the last moment (credentials changed,
// key limit) spends neither. One commit instead of two also keeps the
// second step's cost near a plain login's.
func (s *Store) FinishChallenge(ctx context.Context, c *MFAChallenge, use FactorUse, maxAttempts int, now time.Time, open Opening) error {
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The attempt this finish is was counted by ReserveAttempt.
		res := tx.Model(&MFAChallenge{}).
			Where("hash = ? AND used_at IS NULL AND attempts <= ? AND expires_at > ?", c.Hash, maxAttempts, now).
			Update("used_at", now)
		if res.Error != nil {
			return fmt.Errorf("spend mfa challenge: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrChallengeDead
		}
		if use.RecoveryID != 0 {
			res = tx.Model(&RecoveryCode{}).Where("id = ? AND user_id = ? AND used_at IS NULL", use.RecoveryID, c.UserID).
				Update("used_at", now)
		} else {
			res = tx.Model(&TOTPFactor{}).Where("user_id = ? AND confirmed_at IS NOT NULL AND last_step < ?", c.UserID, use.Step).
				Update("last_step", use.Step)
		}
		if res.Error != nil {
			return fmt.Errorf("spend second factor: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrFactorUsed
		}
		if open.Session != nil {
			return s.createSession(tx, open.Session, open.Session.CreatedAt, open.CredentialVersion)
		}
		return s.createAPIKey(tx, open.Key, open.CredentialVersion)
	})
}
