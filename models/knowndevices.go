package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// KnownDevice is a device a user has signed in from: a fingerprint of its
// user agent and network (the caller's digest; nothing here can be read
// back into either), so that a sign-in from a device not seen before can be
// told to the user. The pair is the primary key, so a device is recorded at
// most once per user; SeeDevice keeps a bounded number per user.
type KnownDevice struct {
	UserID      int64     `gorm:"primaryKey;autoIncrement:false"`
	User        *User     `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Fingerprint string    `gorm:"primaryKey;size:64"`
	FirstSeen   time.Time `gorm:"not null"`
	LastSeen    time.Time `gorm:"not null"`
}

// TableName keeps the table name readable in SQL and docs.
func (KnownDevice) TableName() string { return "known_devices" }

// SeeDevice records a sign-in of the user from the device with this
// fingerprint at now: a known device's last_seen moves to now, a new one is
// added. It keeps at most keep devices per user, dropping those seen least
// recently to make room, in the same transaction. isNew reports that the
// device was not recorded; firstEver that the user had no device recorded
// at all (the first sign-in, which has nothing to compare with). A user
// that does not exist is ErrNotFound.
//
// The user's row is locked first (FOR NO KEY UPDATE on PostgreSQL, which
// conflicts with itself but not with the foreign keys pointing at the row;
// the SQLite writer is serialised anyway), so two sign-ins of one user on
// different instances are counted one after the other: neither misses the
// other's device, and the bound holds.
func (s *Store) SeeDevice(ctx context.Context, userID int64, fingerprint string, now time.Time, keep int) (isNew, firstEver bool, err error) {
	if keep < 1 {
		return false, false, fmt.Errorf("see device: keep %d, want at least 1", keep)
	}
	err = s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ids []int64
		if err := tx.Model(&User{}).Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).
			Where("id = ?", userID).Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("lock user %d: %w", userID, err)
		}
		if len(ids) == 0 {
			return ErrNotFound
		}
		seen := tx.Model(&KnownDevice{}).Where("user_id = ? AND fingerprint = ?", userID, fingerprint).
			Update("last_seen", now)
		if seen.Error != nil {
			return fmt.Errorf("touch known device: %w", seen.Error)
		}
		if seen.RowsAffected > 0 {
			return nil
		}
		isNew = true
		// Oldest first, so the ones to drop lead; the ties are broken by
		// the fingerprint so that which one goes does not depend on the
		// database's order.
		var known []string
		if err := tx.Model(&KnownDevice{}).Where("user_id = ?", userID).
			Order("last_seen, first_seen, fingerprint").Pluck("fingerprint", &known).Error; err != nil {
			return fmt.Errorf("list known devices: %w", err)
		}
		firstEver = len(known) == 0
		if over := len(known) - keep + 1; over > 0 {
			if err := tx.Where("user_id = ? AND fingerprint IN ?", userID, known[:over]).
				Delete(&KnownDevice{}).Error; err != nil {
				return fmt.Errorf("drop old known devices: %w", err)
			}
		}
		d := &KnownDevice{UserID: userID, Fingerprint: fingerprint, FirstSeen: now, LastSeen: now}
		if err := tx.Create(d).Error; err != nil {
			return fmt.Errorf("record known device: %w", err)
		}
		return nil
	})
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			err = fmt.Errorf("see device of user %d: %w", userID, err)
		}
		return false, false, err
	}
	return isNew, firstEver, nil
}
