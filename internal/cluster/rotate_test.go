package cluster

import (
	"context"
	"database/sql"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"authsvc/internal/testserver"
	"authsvc/models"
)

// TestRotationLosesToConcurrentRevocation pins the READ COMMITTED race in
// models.StepRefresh: instance B revokes the session (reuse detected there,
// or a logout) in a transaction still open when instance A's rotation step
// runs. A must not move the generation of the revoked session: its UPDATE
// waits for B's row lock, re-checks revoked_at IS NULL on the committed row,
// matches nothing, and A reads the session as revoked.
func TestRotationLosesToConcurrentRevocation(t *testing.T) {
	t.Parallel()
	pg := testserver.RequirePostgres(t)
	ctx := context.Background()
	dsn := testserver.PostgresDatabase(t, pg, t.TempDir())
	store, err := models.Open(ctx, models.Options{Driver: "postgres", DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now().UTC().Truncate(time.Second)
	u := &models.User{Username: "u", UsernameKey: "u", DateJoined: now, IsActive: true}
	if err := store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	sess := &models.Session{ID: "s1", UserID: u.ID, CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour),
		RefreshGeneration: 1, RefreshIssuedAt: &now}
	if err := store.CreateSession(ctx, sess, now, u.CredentialVersion); err != nil {
		t.Fatal(err)
	}

	// B: revoke the session in a transaction left open, holding its row lock.
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE sessions SET revoked_at = $1, revoke_reason = 'refresh_reuse' WHERE id = 's1'", now); err != nil {
		t.Fatal(err)
	}

	// A: rotate; its UPDATE blocks on B's row lock.
	type result struct {
		st  models.RefreshState
		err error
	}
	done := make(chan result, 1)
	go func() {
		var st models.RefreshState
		err := store.StepRefresh(ctx, &models.RefreshStep{SessionID: "s1", UserID: u.ID, From: 1, Now: now,
			ExpiresAt: now.Add(2 * time.Hour)}, &st)
		done <- result{st, err}
	}()
	awaitLockWait(t, ctx, db, func() bool {
		select {
		case r := <-done:
			t.Fatalf("rotation finished without waiting for the revocation: %+v %v", r.st, r.err)
		default:
		}
		return false
	})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.st.Rotated || !r.st.Revoked || r.st.Generation != 1 {
		t.Fatalf("rotation state %+v, want not rotated, revoked, still generation 1", r.st)
	}
	var st models.RefreshState
	if err := store.RefreshStateOf(ctx, "s1", &st); err != nil || st.Generation != 1 || !st.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("session after the lost rotation: %+v %v (want generation 1, expiry unchanged)", st, err)
	}
}

// awaitLockWait returns once a backend of the test database waits on a lock.
// A failsafe, not a timing assumption: the loop ends as soon as the waiter
// gets there; the bound only turns one that never does into a failure, and
// is generous so a busy machine cannot trip it. finished is checked each
// round so a waiter that ended early fails at once.
func awaitLockWait(t *testing.T, ctx context.Context, db *sql.DB, finished func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !finished() {
		var waiting int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("never waited on the lock")
		}
		time.Sleep(10 * time.Millisecond) // polling for the lock wait, not timing the race
	}
}
