package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Limits bound how many rows one user can make the service keep. Without
// them a script that logs in in a loop grows the sessions table (and the
// list a user reads) without end.
type Limits struct {
	// SessionsPerUser live sessions; a new one ends the oldest beyond it
	// (0: no limit).
	SessionsPerUser int
	// APIKeysPerUser live keys; one more is refused (0: no limit).
	APIKeysPerUser int
}

// ReasonSessionLimit is why a session ended to make room under the cap.
const ReasonSessionLimit = "session_limit"

// ErrAPIKeyLimit is CreateAPIKey's answer when the user holds the most keys
// allowed.
var ErrAPIKeyLimit = errors.New("api key limit reached")

// capSessions ends the oldest live sessions of sess's user so that, with
// sess, at most Limits.SessionsPerUser remain. The new session is always
// kept; ties on created_at (a second's resolution) fall to the id. They are
// revoked, not deleted, so their tokens are refused at once with the usual
// answer and the row says why. Part of CreateSession's transaction, after
// recordLogin, whose UPDATE of the user row holds that row's lock on
// PostgreSQL (SQLite's single writer serialises the whole transaction), so
// two logins of one user count each other's rows: without the lock, under
// READ COMMITTED each would see only the sessions committed before it and
// both would keep the cap, one row too many.
func (s *Store) capSessions(tx *gorm.DB, sess *Session) error {
	limit := s.limits.SessionsPerUser
	if limit <= 0 {
		return nil
	}
	now := sess.CreatedAt
	keep := tx.Model(&Session{}).Select("id").
		Where("user_id = ? AND revoked_at IS NULL AND expires_at > ? AND id <> ?", sess.UserID, now, sess.ID).
		Order("created_at DESC, id DESC").Limit(limit - 1)
	res := tx.Model(&Session{}).
		Where("user_id = ? AND revoked_at IS NULL AND expires_at > ? AND id <> ?", sess.UserID, now, sess.ID).
		Where("id NOT IN (?)", keep).
		Updates(map[string]any{"revoked_at": now, "revoke_reason": ReasonSessionLimit})
	if res.Error != nil {
		return fmt.Errorf("end sessions of user %d over the limit: %w", sess.UserID, res.Error)
	}
	return nil
}

// checkAPIKeyRoom refuses a new key when userID already holds
// Limits.APIKeysPerUser keys that have not expired at now. Refusing rather
// than deleting the oldest: a key is a long-lived credential a script
// depends on, and a login should not silently break it. Part of
// CreateAPIKey's transaction, under the user's row lock that recordLogin
// took, so concurrent key logins cannot overshoot.
func (s *Store) checkAPIKeyRoom(tx *gorm.DB, userID int64, now time.Time) error {
	limit := s.limits.APIKeysPerUser
	if limit <= 0 {
		return nil
	}
	var n int64
	err := tx.Model(&APIKey{}).Where("user_id = ? AND (expires_at IS NULL OR expires_at > ?)", userID, now).
		Count(&n).Error
	if err != nil {
		return fmt.Errorf("count api keys of user %d: %w", userID, err)
	}
	if n >= int64(limit) {
		return ErrAPIKeyLimit
	}
	return nil
}

// APIKeys lists userID's keys that have not expired at now, newest first,
// one page at a time.
func (s *Store) APIKeys(ctx context.Context, userID int64, now time.Time, offset, limit int) ([]APIKey, int64, error) {
	q := s.R.WithContext(ctx).Model(&APIKey{}).
		Where("user_id = ? AND (expires_at IS NULL OR expires_at > ?)", userID, now)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count api keys: %w", err)
	}
	var out []APIKey
	if err := q.Order("created_at DESC, id").Offset(offset).Limit(limit).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list api keys: %w", err)
	}
	return out, total, nil
}
