package models_test

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"authsvc/models"
)

// TestWriterStatementCacheNoDeadlock: on SQLite the writer pool has one
// connection. A statement run outside a transaction while a transaction
// holds that connection waits for it; the transaction then running the same
// statement must not wait for that waiter. GORM's statement cache made it
// wait (the waiter had put a half-prepared entry in the cache, and the
// transaction blocked on it while holding the only connection): a deadlock
// until the waiter's context ran out, after which the transaction failed too.
// The timeouts only bound the test when the deadlock is there.
func TestWriterStatementCacheNoDeadlock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := models.Open(ctx, models.Options{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "auth.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pool, err := s.W.DB()
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 3; round++ {
		// A statement text not seen before, so no cache holds it yet.
		q := "UPDATE users SET bio = ? WHERE id = ?" + [...]string{"", " AND 1 = 1", " AND 2 = 2"}[round]

		tx := s.W.WithContext(ctx).Begin()
		if tx.Error != nil {
			t.Fatal(tx.Error)
		}
		waits := pool.Stats().WaitCount
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		outside := make(chan error, 1)
		go func() { outside <- s.W.WithContext(actx).Exec(q, "outside", 1).Error }()
		// Until the outside statement is queued for the connection.
		for deadline := time.Now().Add(5 * time.Second); pool.Stats().WaitCount == waits; runtime.Gosched() {
			if time.Now().After(deadline) {
				t.Fatal("the outside statement never waited for the writer connection")
			}
		}
		bctx, bcancel := context.WithTimeout(ctx, 5*time.Second)
		inside := tx.WithContext(bctx).Exec(q, "inside", 1).Error
		bcancel()
		if inside != nil {
			tx.Rollback()
			cancel()
			<-outside
			t.Fatalf("round %d: the statement in the transaction failed (it waited for the one outside): %v", round, inside)
		}
		if err := tx.Commit().Error; err != nil {
			t.Fatal(err)
		}
		if err := <-outside; err != nil {
			t.Fatalf("round %d: the statement outside failed: %v", round, err)
		}
		cancel()
	}
}
