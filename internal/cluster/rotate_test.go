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
// models.Rotate: instance A reads the session as live, instance B revokes it
// (reuse detected there, or a logout) and commits while A is between that
// read and its writes. A must not hand out a new refresh token for the
// revoked session: its session UPDATE waits for B's row lock, re-checks
// revoked_at IS NULL, matches nothing and rolls the rotation back.
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
	sess := &models.Session{ID: "s1", UserID: u.ID, CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour)}
	parent := &models.RefreshToken{JTIHash: "parent", SessionID: "s1", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := store.CreateSession(ctx, sess, parent, now, u.CredentialVersion); err != nil {
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

	// A: rotate; it sees the session live (B has not committed) and blocks
	// on B's row lock.
	type result struct {
		rot models.Rotation
		err error
	}
	done := make(chan result, 1)
	go func() {
		child := &models.RefreshToken{JTIHash: "child", IssuedAt: now, ExpiresAt: now.Add(2 * time.Hour)}
		rot, err := store.Rotate(ctx, "parent", child, now)
		done <- result{rot, err}
	}()
	// A failsafe, not a timing assumption: the loop ends as soon as A waits
	// on the lock; the bound only turns a rotation that never gets there
	// into a failure, and is generous so a busy machine cannot trip it.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var waiting int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("rotation finished without waiting for the revocation: %+v %v", r.rot, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("rotation never waited on the session row")
		}
		time.Sleep(10 * time.Millisecond) // polling for the lock wait, not timing the race
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.rot.Result != models.SessionEnded {
		t.Fatalf("rotation result %v, want SessionEnded", r.rot.Result)
	}
	if _, err := store.RefreshByHash(ctx, "child"); err != models.ErrNotFound {
		t.Fatalf("successor token stored for a revoked session: %v", err)
	}
	if rt, err := store.RefreshByHash(ctx, "parent"); err != nil || rt.UsedAt != nil {
		t.Fatalf("parent after the rolled-back rotation: %+v %v (want unused)", rt, err)
	}
}
