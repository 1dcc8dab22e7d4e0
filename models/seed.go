package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// InsertUsers writes users in one transaction, in multi-row INSERTs. It is
// for bulk loading (the scale check of cmd/authload), not for registration:
// it skips the service's validation and expects unique keys.
func (s *Store) InsertUsers(ctx context.Context, users []User) error {
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.CreateInBatches(users, 500).Error; err != nil {
			return fmt.Errorf("insert %d users: %w", len(users), err)
		}
		return nil
	})
}

// CountUsers returns the number of users.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	if err := s.R.WithContext(ctx).Model(&User{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}
