package models

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestStepOutcomes checks what one rotation step reports, on the batched
// and the plain path (the same statements, so they cannot drift apart):
// of concurrent presentations of one generation exactly one moves it and
// the rest read the winner's state; a wrong user, a wrong generation, an
// unknown or revoked or expired session never move it.
func TestStepOutcomes(t *testing.T) {
	t.Parallel()
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprintf("plain=%v", plain), func(t *testing.T) {
			t.Parallel()
			s := openTestStore(t, Options{PlainRotate: plain})
			ctx := context.Background()
			now := time.Now().UTC().Truncate(time.Second)
			sid, uid := newSession(t, s, "race", now)
			later := now.Add(time.Second)

			const racers = 32
			results := make(chan RefreshState, racers)
			var wg sync.WaitGroup
			for range racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var st RefreshState
					if err := s.StepRefresh(ctx, stepFrom(sid, uid, 1, later), &st); err != nil {
						t.Errorf("step: %v", err)
					}
					results <- st
				}()
			}
			wg.Wait()
			close(results)
			won := 0
			for st := range results {
				if st.Rotated {
					won++
				}
				if st.Generation != 2 || !st.IssuedAt.Equal(later) || !st.ExpiresAt.Equal(later.Add(2*time.Hour)) {
					t.Errorf("state after the race = %+v, want generation 2 issued %v", st, later)
				}
			}
			if won != 1 {
				t.Errorf("%d racers moved one generation, want exactly 1", won)
			}
			_, other := newSession(t, s, "other", now)
			expired, euid := newSession(t, s, "expired", now)
			cases := []struct {
				name string
				step *RefreshStep
			}{
				{"unknown session", stepFrom("no-such", uid, 2, later)},
				{"another user's session", stepFrom(sid, other, 2, later)},
				{"old generation", stepFrom(sid, uid, 1, later)},
				{"future generation", stepFrom(sid, uid, 3, later)},
				{"expired session", stepFrom(expired, euid, 1, now.Add(time.Hour))},
			}
			for _, c := range cases {
				var st RefreshState
				if err := s.StepRefresh(ctx, c.step, &st); err != nil || st.Rotated {
					t.Errorf("%s: %+v %v (want not rotated)", c.name, st, err)
				}
			}
			if _, err := s.RevokeSession(ctx, sid, 0, ReasonLogout, now); err != nil {
				t.Fatal(err)
			}
			var st RefreshState
			if err := s.StepRefresh(ctx, stepFrom(sid, uid, 2, later), &st); err != nil || st.Rotated || !st.Revoked {
				t.Errorf("revoked session: %+v %v", st, err)
			}
		})
	}
}

// TestConstantStoragePerSession: 10,000 rotations of one session leave the
// database with the rows it had after one.
func TestConstantStoragePerSession(t *testing.T) {
	t.Parallel()
	s := openTestStore(t, Options{Synchronous: "OFF"})
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	sid, uid := newSession(t, s, "busy", now)
	rows := func() map[string]int64 {
		var tables []string
		if err := s.R.Raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").Scan(&tables).Error; err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, tb := range tables {
			var n int64
			if err := s.R.Table(tb).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			out[tb] = n
		}
		return out
	}
	step := func(from int64) {
		var st RefreshState
		if err := s.StepRefresh(ctx, stepFrom(sid, uid, from, now.Add(time.Duration(from)*time.Millisecond)), &st); err != nil || !st.Rotated {
			t.Fatalf("step %d: %+v %v", from, st, err)
		}
	}
	step(1)
	after1 := rows()
	for g := int64(2); g <= 10_000; g++ {
		step(g)
	}
	if after := rows(); fmt.Sprint(after) != fmt.Sprint(after1) {
		t.Fatalf("rows after 10,000 rotations %v, after one %v", after, after1)
	}
}

// TestStepRetiresLegacyRow: a session's first rotation from a legacy token
// retires that token's row in the same transaction (so an old version
// still reading refresh_tokens sees it used), puts it back when the session
// does not move, and does not move the session when the row was retired
// elsewhere first. Both paths.
func TestStepRetiresLegacyRow(t *testing.T) {
	t.Parallel()
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprintf("plain=%v", plain), func(t *testing.T) {
			t.Parallel()
			s := openTestStore(t, Options{PlainRotate: plain})
			ctx := context.Background()
			if err := s.W.AutoMigrate(&LegacyRefreshToken{}); err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC().Truncate(time.Second)
			legacy := func(name string) (sid string, uid int64, hash string) {
				sid, uid = newSession(t, s, name, now)
				if err := s.W.Model(&Session{}).Where("id = ?", sid).Update("refresh_generation", 0).Error; err != nil {
					t.Fatal(err)
				}
				hash = "h-" + name
				row := &LegacyRefreshToken{JTIHash: hash, SessionID: sid, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
				if err := s.W.Create(row).Error; err != nil {
					t.Fatal(err)
				}
				return sid, uid, hash
			}
			used := func(hash string) bool {
				var row LegacyRefreshToken
				if err := s.R.Where("jti_hash = ?", hash).Take(&row).Error; err != nil {
					t.Fatal(err)
				}
				return row.UsedAt != nil
			}
			step := func(sid string, uid int64, hash string) RefreshState {
				st := stepFrom(sid, uid, 0, now.Add(time.Second))
				st.Legacy = hash
				var out RefreshState
				if err := s.StepRefresh(ctx, st, &out); err != nil {
					t.Fatal(err)
				}
				return out
			}

			sid, uid, hash := legacy("moves")
			if st := step(sid, uid, hash); !st.Rotated || st.Generation != 1 || !used(hash) {
				t.Errorf("first rotation: %+v, row used %v; want generation 1 and the row retired", st, used(hash))
			}
			sid, uid, hash = legacy("revoked")
			if _, err := s.RevokeSession(ctx, sid, 0, ReasonLogout, now); err != nil {
				t.Fatal(err)
			}
			if st := step(sid, uid, hash); st.Rotated || used(hash) {
				t.Errorf("revoked session: %+v, row used %v; want no move and the row as it was", st, used(hash))
			}
			sid, uid, hash = legacy("raced")
			if err := s.W.Model(&LegacyRefreshToken{}).Where("jti_hash = ?", hash).Update("used_at", now).Error; err != nil {
				t.Fatal(err)
			}
			if st := step(sid, uid, hash); st.Rotated || st.Generation != 0 {
				t.Errorf("row retired by an old version first: %+v; want the session left at generation 0", st)
			}
		})
	}
}
