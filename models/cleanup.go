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
	{"sessions", "id", "expires_at"},
	{"password_reset_tokens", "hash", "expires_at"},
	// Keys without an expiry have expires_at NULL, which is never < now.
	{"api_keys", "id", "expires_at"},
	{"mfa_challenges", "hash", "expires_at"},
	{"email_tokens", "hash", "expires_at"},
}

// DeleteExpired removes at most batch rows whose expiry is before now from
// each table that expires, one short transaction per table, and returns how
// many it removed. Small batches keep the single SQLite writer free for
// requests in between; callers loop until it returns 0.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, batch int) (int64, error) {
	tables := expiringTables
	if s.legacy.Load() {
		// Legacy refresh tokens first: an expired session cascades to its
		// tokens, but a session that went on rotating left retired ones
		// that expire on their own.
		tables = append([]expiring{{legacyTable, "jti_hash", "expires_at"}}, tables...)
	}
	var total int64
	for _, t := range tables {
		q := fmt.Sprintf("DELETE FROM %s WHERE %s IN (SELECT %s FROM %s WHERE %s < ? LIMIT ?)",
			t.table, t.key, t.key, t.table, t.column)
		res := s.W.WithContext(ctx).Exec(q, now, batch)
		if res.Error != nil && t.table == legacyTable && !s.W.WithContext(ctx).Migrator().HasTable(legacyTable) {
			s.legacy.Store(false) // dropped by another instance's migration
			continue
		}
		if res.Error != nil {
			return total, fmt.Errorf("delete expired %s: %w", t.table, res.Error)
		}
		total += res.RowsAffected
	}
	return total, nil
}
