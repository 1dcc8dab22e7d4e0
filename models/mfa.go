package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// TOTPFactor is a user's authenticator app: the sealed RFC 6238 secret, and
// the last time step a code was accepted at (a code is never good twice, on
// any instance, after any restart). Unconfirmed (ConfirmedAt nil) it is an
// enrolment in progress and enforces nothing.
type TOTPFactor struct {
	UserID      int64      `gorm:"primaryKey;autoIncrement:false"`
	User        *User      `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Secret      []byte     `gorm:"not null"` // sealed (package sealing), the user id authenticated
	ConfirmedAt *time.Time ``
	LastStep    int64      `gorm:"not null;default:0"`
	CreatedAt   time.Time  `gorm:"not null"`
}

// TableName keeps the table name readable in SQL and docs.
func (TOTPFactor) TableName() string { return "totp_factors" }

// RecoveryCode is one single-use recovery code, stored only as a keyed hash.
type RecoveryCode struct {
	ID       int64      `gorm:"primaryKey"`
	UserID   int64      `gorm:"not null;index"`
	User     *User      `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	CodeHash string     `gorm:"size:64;not null"`
	UsedAt   *time.Time ``
}

// TableName keeps the table name readable in SQL and docs.
func (RecoveryCode) TableName() string { return "recovery_codes" }

// ErrMFAEnabled refuses a new enrolment while a confirmed factor is on.
var ErrMFAEnabled = errors.New("a second factor is already enabled")

// ErrMFAChanged is a confirmation whose enrolment changed (replaced,
// confirmed by another request) after its code was checked.
var ErrMFAChanged = errors.New("enrolment changed since it was read")

// MFAState is what the second factor of one user is.
type MFAState struct {
	Enabled      bool   // a confirmed TOTP factor
	Pending      bool   // an enrolment waiting for its first code
	Secret       []byte // sealed
	LastStep     int64
	RecoveryLeft int64
}

// MFAState reads the factor and counts the unused recovery codes.
func (s *Store) MFAState(ctx context.Context, userID int64) (MFAState, error) {
	var st MFAState
	var f TOTPFactor
	err := s.R.WithContext(ctx).Where("user_id = ?", userID).Take(&f).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read totp factor of user %d: %w", userID, err)
	}
	st.Enabled, st.Pending = f.ConfirmedAt != nil, f.ConfirmedAt == nil
	st.Secret, st.LastStep = f.Secret, f.LastStep
	if st.Enabled {
		err = s.R.WithContext(ctx).Model(&RecoveryCode{}).
			Where("user_id = ? AND used_at IS NULL", userID).Count(&st.RecoveryLeft).Error
		if err != nil {
			return st, fmt.Errorf("count recovery codes of user %d: %w", userID, err)
		}
	}
	return st, nil
}

// StartTOTP stores a new unconfirmed secret, replacing an unconfirmed one;
// ErrMFAEnabled when a confirmed factor is on. One statement, so two
// enrolments at once leave one of them, never a confirmed factor replaced.
func (s *Store) StartTOTP(ctx context.Context, userID int64, sealed []byte, now time.Time) error {
	res := s.W.WithContext(ctx).Exec(`INSERT INTO totp_factors (user_id, secret, confirmed_at, last_step, created_at)
 VALUES (?, ?, NULL, 0, ?)
 ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0, created_at = excluded.created_at
 WHERE totp_factors.confirmed_at IS NULL`, userID, sealed, now)
	if res.Error != nil {
		return fmt.Errorf("start totp enrolment of user %d: %w", userID, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrMFAEnabled
	}
	return nil
}

// ConfirmTOTP turns the enrolment whose sealed secret is sealed on, at
// step (the code that confirmed it), with the recovery codes hashes, and
// ends every other session and API key of the user: anyone who held the
// password before may hold one of them. The credential version moves, so a
// password login in flight cannot open a session that skipped the factor.
func (s *Store) ConfirmTOTP(ctx context.Context, userID int64, sealed []byte, step int64, hashes []string, keepSession, keepKey string, now time.Time) error {
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&TOTPFactor{}).
			Where("user_id = ? AND confirmed_at IS NULL AND secret = ? AND last_step < ?", userID, sealed, step).
			Updates(map[string]any{"confirmed_at": now, "last_step": step})
		if res.Error != nil {
			return fmt.Errorf("confirm totp of user %d: %w", userID, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrMFAChanged
		}
		if err := putRecoveryCodes(tx, userID, hashes); err != nil {
			return err
		}
		if err := bumpCredentials(tx, userID); err != nil {
			return err
		}
		return revokeUserAccess(tx, userID, keepSession, keepKey, ReasonMFAEnabled, now)
	})
}

// UseTOTPStep records step as used, if it is later than the last one used:
// false when another request took it (or a later one) first.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res := s.W.WithContext(ctx).Model(&TOTPFactor{}).
		Where("user_id = ? AND confirmed_at IS NOT NULL AND last_step < ?", userID, step).
		Update("last_step", step)
	if res.Error != nil {
		return false, fmt.Errorf("use totp step of user %d: %w", userID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// UnusedRecoveryCodes lists the user's recovery codes still good.
func (s *Store) UnusedRecoveryCodes(ctx context.Context, userID int64) ([]RecoveryCode, error) {
	var codes []RecoveryCode
	err := s.R.WithContext(ctx).Where("user_id = ? AND used_at IS NULL", userID).Order("id").Find(&codes).Error
	if err != nil {
		return nil, fmt.Errorf("read recovery codes of user %d: %w", userID, err)
	}
	return codes, nil
}

// UseRecoveryCode marks code id used: false when it was used already.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, id int64, now time.Time) (bool, error) {
	res := s.W.WithContext(ctx).Model(&RecoveryCode{}).
		Where("id = ? AND user_id = ? AND used_at IS NULL", id, userID).Update("used_at", now)
	if res.Error != nil {
		return false, fmt.Errorf("use recovery code of user %d: %w", userID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ReplaceRecoveryCodes puts hashes in place of every recovery code the user
// had, while the factor is on (ErrNotFound otherwise).
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string) error {
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A no-op UPDATE of the factor row takes its lock on PostgreSQL, so
		// two regenerations at once run one after the other: otherwise each
		// DELETE misses the codes the other inserts, and twenty live.
		res := tx.Model(&TOTPFactor{}).Where("user_id = ? AND confirmed_at IS NOT NULL", userID).
			Update("last_step", gorm.Expr("last_step"))
		if res.Error != nil {
			return fmt.Errorf("lock totp factor of user %d: %w", userID, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return putRecoveryCodes(tx, userID, hashes)
	})
}

func putRecoveryCodes(tx *gorm.DB, userID int64, hashes []string) error {
	if err := tx.Where("user_id = ?", userID).Delete(&RecoveryCode{}).Error; err != nil {
		return fmt.Errorf("delete recovery codes of user %d: %w", userID, err)
	}
	rows := make([]RecoveryCode, len(hashes))
	for i, h := range hashes {
		rows[i] = RecoveryCode{UserID: userID, CodeHash: h}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("store recovery codes of user %d: %w", userID, err)
	}
	return nil
}

// RemoveMFA deletes the user's factor and recovery codes. With endAccess
// (an admin removing a locked-out user's factors) every session and API key
// of the user ends too and the credential version moves. ErrNotFound when
// there is no such user.
//
// removed reports whether a confirmed factor was there to remove (a notice
// is due only then).
func (s *Store) RemoveMFA(ctx context.Context, userID int64, endAccess bool, now time.Time) (removed bool, err error) {
	err = s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("user_id = ? AND confirmed_at IS NOT NULL", userID).Delete(&TOTPFactor{})
		if res.Error != nil {
			return fmt.Errorf("delete totp factor of user %d: %w", userID, res.Error)
		}
		removed = res.RowsAffected > 0
		if err := tx.Where("user_id = ?", userID).Delete(&TOTPFactor{}).Error; err != nil {
			return fmt.Errorf("delete totp enrolment of user %d: %w", userID, err)
		}
		if err := tx.Where("user_id = ?", userID).Delete(&RecoveryCode{}).Error; err != nil {
			return fmt.Errorf("delete recovery codes of user %d: %w", userID, err)
		}
		if !endAccess {
			return nil
		}
		if err := bumpCredentials(tx, userID); err != nil {
			return err
		}
		return revokeUserAccess(tx, userID, "", "", ReasonAdmin, now)
	})
	return removed, err
}

// bumpCredentials moves the user's credential version on (see
// User.CredentialVersion); ErrNotFound for no such user.
func bumpCredentials(tx *gorm.DB, userID int64) error {
	res := tx.Model(&User{}).Where("id = ?", userID).Update("credential_version", bumpVersion)
	if res.Error != nil {
		return fmt.Errorf("bump credential version of user %d: %w", userID, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
