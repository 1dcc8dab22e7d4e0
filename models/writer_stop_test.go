package models

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// failsafe only turns a rotation that would never be answered into a test
// failure instead of a hung test; nothing waits for it on a good run.
const failsafe = time.Minute

func await(t *testing.T, what string, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(failsafe):
		t.Fatalf("%s: never answered", what)
		return nil
	}
}

// TestWriterStopAnswersEveryRotation holds the shutdown race with hooks. A
// caller has checked that the writer is open and is about to queue its
// rotation when Close starts; once it has queued, the writer holds its batch
// while Close waits. That rotation must be committed and answered, not
// dropped or left waiting; callers after Close are refused at once with
// ErrWriterClosed.
func TestWriterStopAnswersEveryRotation(t *testing.T) {
	t.Parallel()
	atQueue, releaseQueue := make(chan struct{}), make(chan struct{})
	atRun, releaseRun := make(chan struct{}), make(chan struct{})
	var queueOnce, runOnce sync.Once
	hooks := batchHooks{
		beforeQueue: func() {
			queueOnce.Do(func() { close(atQueue); <-releaseQueue })
		},
		beforeRun: func() {
			runOnce.Do(func() { close(atRun); <-releaseRun })
		},
	}
	s, err := Open(context.Background(), Options{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "auth.db"), batchHooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	sa, ua := newSession(t, s, "a", now)
	sb, ub := newSession(t, s, "b", now)
	sc, uc := newSession(t, s, "c", now)
	ctx := context.Background()
	rotate := func(sid string, uid int64) <-chan error {
		ch := make(chan error, 1)
		go func() {
			var st RefreshState
			err := s.StepRefresh(ctx, stepFrom(sid, uid, 1, now), &st)
			if err == nil && !st.Rotated {
				err = errors.New("not rotated")
			}
			ch <- err
		}()
		return ch
	}
	first := rotate(sa, ua) // held at its check, before queueing
	<-atQueue
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	close(releaseQueue) // first queues while Close waits; the writer takes it and holds
	<-atRun
	second := rotate(sb, ub) // refused or answered, never left waiting
	close(releaseRun)
	if err := await(t, "held caller", first); err != nil {
		t.Errorf("the caller queued during Close: %v", err)
	}
	// Close has marked the writer closed by now (the held caller's send
	// was all it waited for), so the second caller is refused at once.
	if err := await(t, "second caller", second); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("the caller after Close marked the writer closed: %v, want ErrWriterClosed", err)
	}
	if err := await(t, "Close", closed); err != nil {
		t.Fatal(err)
	}
	if err := await(t, "after Close", rotate(sc, uc)); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("a rotation after Close: %v, want ErrWriterClosed", err)
	}
}
