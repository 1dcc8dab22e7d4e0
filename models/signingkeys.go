package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SigningKey is one asymmetric JWT signing key, shared by every instance
// through the database. The private key is sealed by the caller (AES-GCM
// under a key derived from AUTH_SECRET_KEY) and stored only that way.
// A key with RetiredAt == nil is current; a retired key still verifies until
// NotAfter, when the last token it signed has expired.
type SigningKey struct {
	KID        string     `gorm:"column:kid;primaryKey;size:64"`
	Alg        string     `gorm:"size:16;not null;index"`
	PublicJWK  string     `gorm:"column:public_jwk;size:2048;not null"`
	PrivateKey []byte     `gorm:"not null"`
	CreatedAt  time.Time  `gorm:"not null"`
	RetiredAt  *time.Time ``
	NotAfter   *time.Time `gorm:"index"`
}

// ErrKeyExists says AddSigningKey found nothing to do.
var ErrKeyExists = errors.New("signing key already present")

// AddSigningKey stores k as the current key of its algorithm, retiring the
// previous current key(s) at now (valid until notAfter). With onlyIfNone it
// does nothing when a current key already exists (first start of several
// instances at once: one generates, the others use its key). It also does
// nothing when k's kid is already stored (the same key file imported again).
// Either case returns ErrKeyExists.
//
// The check and the insert must not interleave between instances: on
// PostgreSQL a transaction-scoped advisory lock serialises them; on SQLite
// the writer's IMMEDIATE transaction does.
func (s *Store) AddSigningKey(ctx context.Context, k *SigningKey, onlyIfNone bool, now, notAfter time.Time) error {
	now, notAfter = now.UTC(), notAfter.UTC()
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.Driver == "postgres" {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", keysLockKey).Error; err != nil {
				return fmt.Errorf("take signing key lock: %w", err)
			}
		}
		var n int64
		if err := tx.Model(&SigningKey{}).Where("kid = ?", k.KID).Count(&n).Error; err != nil {
			return fmt.Errorf("look up signing key: %w", err)
		}
		if n > 0 {
			return ErrKeyExists
		}
		if onlyIfNone {
			if err := tx.Model(&SigningKey{}).Where("alg = ? AND retired_at IS NULL", k.Alg).Count(&n).Error; err != nil {
				return fmt.Errorf("look up current signing key: %w", err)
			}
			if n > 0 {
				return ErrKeyExists
			}
		}
		if err := tx.Model(&SigningKey{}).Where("alg = ? AND retired_at IS NULL", k.Alg).
			Updates(map[string]any{"retired_at": now, "not_after": notAfter}).Error; err != nil {
			return fmt.Errorf("retire signing key: %w", err)
		}
		if err := tx.Create(k).Error; err != nil {
			return fmt.Errorf("store signing key: %w", err)
		}
		return nil
	})
}

// SigningKeys lists the keys of alg that may still verify tokens at now
// (current, or retired with NotAfter still ahead), newest first. With
// withExpired it lists every key of alg.
func (s *Store) SigningKeys(ctx context.Context, alg string, now time.Time, withExpired bool) ([]SigningKey, error) {
	q := s.R.WithContext(ctx).Where("alg = ?", alg)
	if !withExpired {
		q = q.Where("not_after IS NULL OR not_after > ?", now.UTC())
	}
	var out []SigningKey
	if err := q.Order("created_at DESC, kid").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return out, nil
}

// keysLockKey names the advisory lock around signing key changes.
const keysLockKey int64 = 0x61757468736b6579 // "authskey"
