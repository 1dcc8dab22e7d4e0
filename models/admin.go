package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ListUsers returns one page of users ordered by id; search (a username key,
// already case-folded by the caller) keeps the users whose username_key
// contains it.
func (s *Store) ListUsers(ctx context.Context, search string, offset, limit int) ([]User, int64, error) {
	q := s.R.WithContext(ctx).Model(&User{})
	if search != "" {
		q = q.Where(`username_key LIKE ? ESCAPE '\'`, "%"+escapeLike(search)+"%")
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	var out []User
	if err := q.Order("id").Offset(offset).Limit(limit).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	return out, total, nil
}

// escapeLike makes s match literally inside a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// UpdateUserRevoking writes cols of user id and, when revoke is set, ends
// every session and API key of that user in the same transaction: a
// deactivation leaves no moment in which the user is inactive but still
// holds a live credential that a later reactivation would bring back.
func (s *Store) UpdateUserRevoking(ctx context.Context, id int64, cols map[string]any, revoke bool, reason string, now time.Time) error {
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
