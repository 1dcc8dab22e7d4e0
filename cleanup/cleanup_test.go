package cleanup_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"authsvc/internal/testserver"
	"authsvc/models"
)

func count(t *testing.T, s *testserver.Server, model any) int64 {
	t.Helper()
	var n int64
	if err := s.App.Store.R.Model(model).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSweepDeletesOnlyExpiredRows(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	old, _ := s.NewUser("olduser")
	// Rotate once: the session's row changes, no row is added.
	if r := s.Post("/api/auth/token/refresh/", map[string]string{"refresh": old.Refresh}); r.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	s.Clock.Advance(25 * time.Hour) // past the 24h refresh lifetime
	fresh, _ := s.NewUser("newuser")

	if got := count(t, s, &models.Session{}); got != 2 {
		t.Fatalf("sessions before sweep = %d, want 2", got)
	}
	// Batch of 1 forces several rounds.
	job := *s.App.Cleanup
	job.Batch, job.Pause = 1, 0
	n, err := job.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The expired session goes.
	if n != 1 {
		t.Fatalf("deleted %d rows, want 1", n)
	}
	if got := count(t, s, &models.Session{}); got != 1 {
		t.Fatalf("sessions after sweep = %d, want 1", got)
	}
	// The live session is untouched and still works.
	if r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/", Bearer: fresh.Access}); r.Status != http.StatusOK {
		t.Fatalf("live session after sweep: %d %s", r.Status, r.Body)
	}
	// A second sweep finds nothing.
	if n, err := job.Sweep(context.Background()); err != nil || n != 0 {
		t.Fatalf("second sweep: %d, %v", n, err)
	}
}
