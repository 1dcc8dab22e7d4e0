package models_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"authsvc/internal/testserver"
	"authsvc/models"
)

// openDeviceStore opens a store on a SQLite file in t.TempDir() or, with
// AUTH_TEST_POSTGRES_URL set, on a PostgreSQL database of t's own (dropped
// when t ends).
func openDeviceStore(t *testing.T) *models.Store {
	t.Helper()
	o := models.Options{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "auth.db")}
	if pg := os.Getenv(testserver.PostgresEnv); pg != "" {
		o = models.Options{Driver: "postgres", DSN: testserver.PostgresDatabase(t, pg, t.TempDir())}
	}
	s, err := models.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// deviceSighting is one SeeDevice call of a row and what it must report.
type deviceSighting struct {
	user         int // index into the row's users
	fp           string
	minute       int // minutes after the row's start
	isNew, first bool
}

// TestSeeDevice runs each row's sightings in order on users of its own and
// then compares the devices each user is left with (fingerprint and the
// minutes first and last seen).
func TestSeeDevice(t *testing.T) {
	t.Parallel()
	s := openDeviceStore(t)
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	type seen struct {
		fp          string
		first, last int
	}
	tests := []struct {
		name  string
		keep  int
		users int
		steps []deviceSighting
		want  [][]seen // per user, by fingerprint
	}{
		{"the first device is new and the first ever", 20, 1,
			[]deviceSighting{{0, "a", 0, true, true}},
			[][]seen{{{"a", 0, 0}}}},
		{"a second device is new but not the first", 20, 1,
			[]deviceSighting{{0, "a", 0, true, true}, {0, "b", 1, true, false}},
			[][]seen{{{"a", 0, 0}, {"b", 1, 1}}}},
		{"a known device is touched", 20, 1,
			[]deviceSighting{{0, "a", 0, true, true}, {0, "b", 1, true, false}, {0, "a", 5, false, false}},
			[][]seen{{{"a", 0, 5}, {"b", 1, 1}}}},
		{"the least recently seen go beyond keep", 3, 1,
			[]deviceSighting{
				{0, "a", 0, true, true}, {0, "b", 1, true, false}, {0, "c", 2, true, false},
				{0, "a", 3, false, false}, // now b is the oldest
				{0, "d", 4, true, false},  // b dropped
				{0, "b", 5, true, false},  // b is new again; c dropped
			},
			[][]seen{{{"a", 0, 3}, {"b", 5, 5}, {"d", 4, 4}}}},
		{"keep 1 holds only the latest", 1, 1,
			[]deviceSighting{{0, "a", 0, true, true}, {0, "b", 1, true, false}, {0, "a", 2, true, false}},
			[][]seen{{{"a", 2, 2}}}},
		{"two users are independent", 20, 2,
			[]deviceSighting{
				{0, "a", 0, true, true}, {1, "a", 1, true, true}, {1, "b", 2, true, false}, {0, "a", 3, false, false},
			},
			[][]seen{{{"a", 0, 3}}, {{"a", 1, 1}, {"b", 2, 2}}}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			ids := make([]int64, tc.users)
			for u := range ids {
				ids[u] = newDeviceUser(t, s, i*10+u, start)
			}
			for n, st := range tc.steps {
				isNew, first, err := s.SeeDevice(ctx, ids[st.user], st.fp, start.Add(time.Duration(st.minute)*time.Minute), tc.keep)
				if err != nil {
					t.Fatalf("sighting %d: %v", n, err)
				}
				if isNew != st.isNew || first != st.first {
					t.Fatalf("sighting %d (%+v): isNew %v, firstEver %v", n, st, isNew, first)
				}
			}
			for u, id := range ids {
				var rows []models.KnownDevice
				if err := s.R.Where("user_id = ?", id).Order("fingerprint").Find(&rows).Error; err != nil {
					t.Fatal(err)
				}
				got := make([]seen, len(rows))
				for k, r := range rows {
					got[k] = seen{r.Fingerprint, int(r.FirstSeen.Sub(start).Minutes()), int(r.LastSeen.Sub(start).Minutes())}
				}
				if !slices.Equal(got, tc.want[u]) {
					t.Errorf("user %d keeps %v, want %v", u, got, tc.want[u])
				}
			}
		})
	}
}

// TestSeeDeviceRefuses checks the failures: an unknown user (never
// recorded) and a bound below one; and that deleting a user takes its
// devices with it.
func TestSeeDeviceRefuses(t *testing.T) {
	t.Parallel()
	s := openDeviceStore(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if _, _, err := s.SeeDevice(ctx, 987654, "a", now, 20); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("unknown user: %v, want ErrNotFound", err)
	}
	id := newDeviceUser(t, s, 1, now)
	if _, _, err := s.SeeDevice(ctx, id, "a", now, 0); err == nil {
		t.Fatal("keep 0 accepted")
	}
	if _, _, err := s.SeeDevice(ctx, id, "a", now, 20); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, id); err != nil {
		t.Fatal(err)
	}
	var left int64
	if err := s.R.Model(&models.KnownDevice{}).Where("user_id = ?", id).Count(&left).Error; err != nil || left != 0 {
		t.Fatalf("devices of a deleted user: %d, %v", left, err)
	}
}

func newDeviceUser(t *testing.T, s *models.Store, n int, now time.Time) int64 {
	t.Helper()
	name := fmt.Sprintf("dev%d", n)
	u := &models.User{Username: name, UsernameKey: name, DateJoined: now, IsActive: true}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("create user: %v", err)
	}
	return u.ID
}

// TestSeeDeviceConcurrent signs one user in from many new devices at once:
// exactly one sighting is the first ever, every one is new, and the bound
// holds. On PostgreSQL this is what the lock on the user's row is for.
func TestSeeDeviceConcurrent(t *testing.T) {
	t.Parallel()
	s := openDeviceStore(t)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	id := newDeviceUser(t, s, 1, now)
	const devices, keep = 16, 5
	type result struct{ isNew, first bool }
	results := make(chan result, devices)
	var wg sync.WaitGroup
	for n := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			isNew, first, err := s.SeeDevice(context.Background(), id, fmt.Sprintf("fp%d", n), now.Add(time.Duration(n)*time.Second), keep)
			if err != nil {
				t.Errorf("device %d: %v", n, err)
			}
			results <- result{isNew, first}
		}()
	}
	wg.Wait()
	close(results)
	firsts := 0
	for r := range results {
		if !r.isNew {
			t.Error("a device never seen before reported as known")
		}
		if r.first {
			firsts++
		}
	}
	if firsts != 1 {
		t.Errorf("%d sightings were the first ever, want 1", firsts)
	}
	var kept int64
	if err := s.R.Model(&models.KnownDevice{}).Where("user_id = ?", id).Count(&kept).Error; err != nil || kept != keep {
		t.Fatalf("kept %d devices (%v), want %d", kept, err, keep)
	}
}
