package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// APIKey is an opaque, long-lived credential (the "Token <key>" scheme). Only
// the SHA-256 of the key is stored: a reader of the database learns nothing
// it could present. Revoking a key deletes its row, as DRF deletes its Token.
type APIKey struct {
	ID      string `gorm:"primaryKey;size:32"`
	UserID  int64  `gorm:"not null;index"`
	User    *User  `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	KeyHash string `gorm:"size:64;not null;uniqueIndex"`
	// Prefix is the key's first few characters, kept so that a user can
	// tell keys apart in the list; too short to help anyone guess the rest.
	// Empty for keys made before it was recorded.
	Prefix     string     `gorm:"size:16;not null;default:''"`
	CreatedAt  time.Time  `gorm:"not null"`
	LastUsedAt *time.Time ``
	// ExpiresAt is when the key stops working (nil: never); the cleanup
	// job deletes it after that.
	ExpiresAt *time.Time `gorm:"index"`
	// AMR is how the login that made the key proved the user (RFC 8176
	// values, comma-separated; "" for keys made before it was recorded:
	// a password). Staff routes that require a second factor read it.
	AMR string `gorm:"size:64;not null;default:''"`
}

// TableName keeps the table name readable in SQL and docs.
func (APIKey) TableName() string { return "api_keys" }

// CreateAPIKey stores k and records the login on its user in one
// transaction, if the user is still active at credentialVersion; otherwise
// it writes nothing and returns ErrCredentialChanged (see recordLogin).
// ErrAPIKeyLimit when the user already holds Limits.APIKeysPerUser live keys.
func (s *Store) CreateAPIKey(ctx context.Context, k *APIKey, credentialVersion int64) error {
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return s.createAPIKey(tx, k, credentialVersion)
	})
}

func (s *Store) createAPIKey(tx *gorm.DB, k *APIKey, credentialVersion int64) error {
	if err := recordLogin(tx, k.UserID, credentialVersion, k.CreatedAt); err != nil {
		return err
	}
	if err := s.checkAPIKeyRoom(tx, k.UserID, k.CreatedAt); err != nil {
		return err
	}
	if err := tx.Create(k).Error; err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	return nil
}

// APIKeyByHash loads the key whose hash is keyHash together with its user,
// in one indexed query: the lookup behind every Token-authenticated request.
func (s *Store) APIKeyByHash(ctx context.Context, keyHash string) (*APIKey, error) {
	var k APIKey
	err := s.R.WithContext(ctx).Joins("User").Where("api_keys.key_hash = ?", keyHash).Take(&k).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && k.User == nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load api key: %w", err)
	}
	return &k, nil
}

// TouchAPIKey records use of a key.
func (s *Store) TouchAPIKey(ctx context.Context, id string, now time.Time) error {
	if err := s.W.WithContext(ctx).Model(&APIKey{}).Where("id = ?", id).Update("last_used_at", now).Error; err != nil {
		return fmt.Errorf("touch api key: %w", err)
	}
	return nil
}

// DeleteAPIKey revokes key id of userID; found is false when there is none.
func (s *Store) DeleteAPIKey(ctx context.Context, id string, userID int64) (found bool, err error) {
	res := s.W.WithContext(ctx).Where("id = ? AND user_id = ?", id, userID).Delete(&APIKey{})
	if res.Error != nil {
		return false, fmt.Errorf("delete api key: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// RevokeUserAccess ends every live session of userID except keepSession and
// deletes every API key except keepKey ("" keeps none), in one transaction,
// so no credential of the user survives half of a logout-everywhere. It
// bumps the user's credential version first, so a login that checked the
// password before this commits cannot write a session or key after it.
func (s *Store) RevokeUserAccess(ctx context.Context, userID int64, keepSession, keepKey, reason string, now time.Time) error {
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", userID).Update("credential_version", bumpVersion)
		if res.Error != nil {
			return fmt.Errorf("bump credential version of user %d: %w", userID, res.Error)
		}
		return revokeUserAccess(tx, userID, keepSession, keepKey, reason, now)
	})
}

// bumpVersion is the SET expression that invalidates logins in flight.
var bumpVersion = gorm.Expr("credential_version + 1")

func revokeUserAccess(tx *gorm.DB, userID int64, keepSession, keepKey, reason string, now time.Time) error {
	if err := revokeUserSessions(tx, userID, keepSession, reason, now); err != nil {
		return err
	}
	return deleteUserAPIKeys(tx, userID, keepKey)
}

func deleteUserAPIKeys(tx *gorm.DB, userID int64, keep string) error {
	q := tx.Where("user_id = ?", userID)
	if keep != "" {
		q = q.Where("id <> ?", keep)
	}
	if err := q.Delete(&APIKey{}).Error; err != nil {
		return fmt.Errorf("delete api keys of user %d: %w", userID, err)
	}
	return nil
}
