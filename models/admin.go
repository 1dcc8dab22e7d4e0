package models

import (
	"context"
	"fmt"
	"maps"
	"time"

	"gorm.io/gorm"
)

// UpdateUserRevoking writes cols of user id and, when revoke is set, ends
// every session and API key of that user in the same transaction: a
// deactivation leaves no moment in which the user is inactive but still
// holds a live credential that a later reactivation would bring back.
func (s *Store) UpdateUserRevoking(ctx context.Context, id int64, cols map[string]any, revoke bool, reason string, now time.Time) error {
	if revoke {
		// Logins that checked the password before this commits must not
		// write a session or key after it (see recordLogin).
		cols = maps.Clone(cols)
		cols["credential_version"] = bumpVersion
	}
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", id).Updates(cols)
		if res.Error != nil {
			return fmt.Errorf("update user %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if !revoke {
			return nil
		}
		return revokeUserAccess(tx, id, "", "", reason, now)
	})
}
