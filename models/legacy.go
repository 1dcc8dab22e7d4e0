package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// LegacyRefreshToken is a refresh token issued before sessions carried
// their refresh generation: one row per token, kept by the SHA-256 of its
// jti, UsedAt set when it was rotated away. Nothing writes these rows any
// more. A database upgraded from such a version keeps the table only so its
// live tokens go on working until they expire (they rotate into
// generations on first use); Migrate drops it once none can be live.
type LegacyRefreshToken struct {
	JTIHash   string     `gorm:"primaryKey;size:64"`
	SessionID string     `gorm:"size:32;not null;index"`
	IssuedAt  time.Time  `gorm:"not null"`
	ExpiresAt time.Time  `gorm:"not null;index"`
	UsedAt    *time.Time ``
}

// legacyTable is the table of LegacyRefreshToken.
const legacyTable = "refresh_tokens"

// TableName keeps the table name the old versions used.
func (LegacyRefreshToken) TableName() string { return legacyTable }

// LegacyRefresh loads the legacy refresh token row with jti hash hash;
// ErrNotFound when there is none, including when the table is gone.
func (s *Store) LegacyRefresh(ctx context.Context, hash string) (*LegacyRefreshToken, error) {
	if !s.legacy.Load() {
		return nil, ErrNotFound
	}
	var rt LegacyRefreshToken
	err := s.R.WithContext(ctx).Where("jti_hash = ?", hash).Take(&rt).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		// Another instance may have dropped the table since this one
		// started: only once no row in it could be live, so "not found" is
		// the truth.
		if !s.R.WithContext(ctx).Migrator().HasTable(legacyTable) {
			s.legacy.Store(false)
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("load legacy refresh token: %w", err)
	}
	return &rt, nil
}

// dropDeadLegacy drops the legacy refresh-token table when no row in it can
// still be presented (every one expired before now), and reports whether
// the table is still there. It runs inside the migration.
func dropDeadLegacy(tx *gorm.DB, now time.Time) (bool, error) {
	if !tx.Migrator().HasTable(legacyTable) {
		return false, nil
	}
	var live int64
	if err := tx.Model(&LegacyRefreshToken{}).Where("expires_at > ?", now).Count(&live).Error; err != nil {
		return false, fmt.Errorf("count live legacy refresh tokens: %w", err)
	}
	if live > 0 {
		return true, nil
	}
	if err := tx.Migrator().DropTable(legacyTable); err != nil {
		return false, fmt.Errorf("drop legacy refresh tokens: %w", err)
	}
	return false, nil
}
