package models

import (
	"context"
	"fmt"
	"time"
)

// expiring names a table, its key and the column past which a row is dead.
// A feature with its own expiring table adds it here.
type expiring struct{ table, key, column string }

var expiringTables = []expiring{
	// Refresh tokens first: an expired session cascades to its tokens, but a
	// long-lived session accumulates retired tokens that expire on their own.
	{"refresh_tokens", "jti_hash", "expires_at"},
	{"sessions", "id", "expires_at"},
	{"password_reset_tokens", "hash", "expires_at"},
	// Keys without an expiry have expires_at NULL, which is never < now.
	{"api_keys", "id", "expires_at"},
}

// DeleteExpired removes at most batch rows whose expiry is before now from
// each table that expires, one short transaction per table, and returns how
// many it removed. Small batches keep the single SQLite writer free for
// requests in between; callers loop until it returns 0.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, batch int) (int64, error) {
	var total int64
	for _, t := range expiringTables {
		q := fmt.Sprintf("DELETE FROM %s WHERE %s IN (SELECT %s FROM %s WHERE %s < ? LIMIT ?)",
			t.table, t.key, t.key, t.table, t.column)
		res := s.W.WithContext(ctx).Exec(q, now, batch)
		if res.Error != nil {
			return total, fmt.Errorf("delete expired %s: %w", t.table, res.Error)
		}
		total += res.RowsAffected
	}
	return total, nil
}
