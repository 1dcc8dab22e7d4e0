package models

import (
	"context"
	"fmt"
	"time"
)

// CountLiveSessions counts the sessions of every user that are neither
// revoked nor expired at now. It is one COUNT over the expires_at index,
// cheap enough to run on every metrics scrape.
func (s *Store) CountLiveSessions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.R.WithContext(ctx).Model(&Session{}).
		Where("revoked_at IS NULL AND expires_at > ?", now.UTC()).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count live sessions: %w", err)
	}
	return n, nil
}
