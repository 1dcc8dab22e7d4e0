package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"
)

// BatchObserver receives the size of every group commit of refresh
// rotations (a histogram metric, say). It is called from the writer
// goroutine after the commit, so it must be quick and must not block.
type BatchObserver interface {
	ObserveRotationBatch(size int, took time.Duration)
}

// MaxRotationBatch bounds one group commit: large enough to absorb a refresh
// storm from hundreds of clients, small enough that one transaction never
// holds the writer for long.
const MaxRotationBatch = 256

// gatherRounds is how many times the writer yields to let more requests
// queue once it has some. Each round that brings nothing new ends the wait
// at once, so a lone request is not delayed.
const gatherRounds = 4

// rotateReq is one caller waiting for its rotation to be committed.
type rotateReq struct {
	ctx        context.Context
	parentHash string
	child      *RefreshToken
	now        time.Time
	done       chan rotateAns
}

type rotateAns struct {
	rot Rotation
	err error
}

// rotationBatcher is the group-commit writer for refresh rotations on SQLite.
//
// With synchronous=FULL every commit costs an fsync, and one fsync'd
// transaction per rotation tops out at about two thousand a second on one
// disk however many callers wait. The batcher runs every rotation waiting in
// its queue in ONE transaction and answers each caller only after that
// commit, so the durability promise is unchanged while the fsync is shared.
// Each rotation writes inside its own SAVEPOINT: a failure rolls back that
// rotation alone and the others still commit. The writer uses prepared
// statements on the writer connection (batchsql.go), not the ORM: it runs
// every rotation in turn, so its cost per rotation caps the refresh rate.
//
// A batch only forms if the writer lets other requests reach the queue before
// draining it: on a busy core the first request would otherwise wake the
// writer alone and every "batch" would hold one rotation. So after the first
// request the writer yields (runtime.Gosched) and drains again, as long as
// each round brings more, up to gatherRounds; no timer, no fixed delay.
type rotationBatcher struct {
	db    *sql.DB
	stmts *batchStmts
	in    chan *rotateReq
	obs   BatchObserver
	log   *slog.Logger
	stop  chan struct{}
	wg    sync.WaitGroup
	pool  sync.Pool
	mu    sync.Mutex
	st    BatchStats
}

// BatchStats summarise the group commits so far (tests, the load tool's
// report through the log line).
type BatchStats struct {
	Batches   int64
	Rotations int64
	MaxBatch  int
}

func newRotationBatcher(ctx context.Context, db *sql.DB, obs BatchObserver, log *slog.Logger) (*rotationBatcher, error) {
	stmts, err := prepareBatch(ctx, db)
	if err != nil {
		return nil, err
	}
	b := &rotationBatcher{
		db: db, stmts: stmts, in: make(chan *rotateReq, MaxRotationBatch), obs: obs, log: log,
		stop: make(chan struct{}),
	}
	b.pool.New = func() any { return &rotateReq{done: make(chan rotateAns, 1)} }
	b.wg.Add(1)
	go b.loop()
	return b, nil
}

// errBatcherClosed answers rotations that arrive while the store closes.
var errBatcherClosed = errors.New("rotation writer stopped")

// rotate queues one rotation and waits for its committed outcome.
func (b *rotationBatcher) rotate(ctx context.Context, parentHash string, child *RefreshToken, now time.Time) (Rotation, error) {
	select {
	case <-b.stop:
		return Rotation{}, errBatcherClosed
	default:
	}
	r := b.pool.Get().(*rotateReq)
	r.ctx, r.parentHash, r.child, r.now = ctx, parentHash, child, now
	select {
	case b.in <- r:
	case <-ctx.Done():
		b.put(r)
		return Rotation{}, fmt.Errorf("queue rotation: %w", ctx.Err())
	case <-b.stop:
		b.put(r)
		return Rotation{}, errBatcherClosed
	}
	// Once queued, wait for the answer even if ctx ends: the writer may
	// already have committed the rotation, and the caller must not hear
	// "failed" for a token that was in fact retired.
	a := <-r.done
	b.put(r)
	return a.rot, a.err
}

func (b *rotationBatcher) put(r *rotateReq) {
	r.ctx, r.child = nil, nil
	b.pool.Put(r)
}

func (b *rotationBatcher) close() {
	close(b.stop)
	b.wg.Wait()
	b.stmts.close()
}

// RotationStats returns the group-commit totals so far (zero on PostgreSQL
// or with PlainRotate, where there is no batching).
func (s *Store) RotationStats() BatchStats {
	if s.batch == nil {
		return BatchStats{}
	}
	return s.batch.stats()
}

func (b *rotationBatcher) stats() BatchStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.st
}

func (b *rotationBatcher) loop() {
	defer b.wg.Done()
	batch := make([]*rotateReq, 0, MaxRotationBatch)
	for {
		select {
		case r := <-b.in:
			batch = append(batch[:0], r)
		case <-b.stop:
			b.drainClosed()
			return
		}
		batch = b.gather(batch)
		b.commit(batch)
	}
}

// gather adds what is queued behind the first request, yielding between
// rounds so that requests which are runnable but not yet queued get there.
func (b *rotationBatcher) gather(batch []*rotateReq) []*rotateReq {
	for round := 0; round < gatherRounds && len(batch) < MaxRotationBatch; round++ {
		runtime.Gosched()
		before := len(batch)
	drain:
		for len(batch) < MaxRotationBatch {
			select {
			case r := <-b.in:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		if len(batch) == before {
			break
		}
	}
	return batch
}

// commit runs batch in one transaction and answers every caller.
func (b *rotationBatcher) commit(batch []*rotateReq) {
	start := time.Now()
	ans := make([]rotateAns, len(batch))
	// The transaction is not tied to any one caller's context: one client
	// going away must not roll back everyone else's rotation.
	err := b.run(batch, ans)
	if err != nil {
		err = fmt.Errorf("commit rotation batch of %d: %w", len(batch), err)
	}
	took := time.Since(start)
	for i, r := range batch {
		if err != nil && ans[i].err == nil {
			ans[i] = rotateAns{err: err}
		}
		r.done <- ans[i]
	}
	b.mu.Lock()
	b.st.Batches++
	b.st.Rotations += int64(len(batch))
	if len(batch) > b.st.MaxBatch {
		b.st.MaxBatch = len(batch)
	}
	b.mu.Unlock()
	if b.obs != nil {
		b.obs.ObserveRotationBatch(len(batch), took)
	}
	if b.log != nil && b.log.Enabled(context.Background(), slog.LevelDebug) {
		b.log.LogAttrs(context.Background(), slog.LevelDebug, "rotation batch committed",
			slog.Int("batch_size", len(batch)), slog.Duration("took", took), slog.Any("err", err))
	}
}

// run executes the batch in one transaction; per-rotation failures land in
// ans, a returned error fails the whole batch (nothing was committed).
func (b *rotationBatcher) run(batch []*rotateReq, ans []rotateAns) error {
	t, err := b.stmts.begin(context.Background(), b.db)
	if err != nil {
		return err
	}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			ans[i].err = fmt.Errorf("rotation abandoned: %w", err)
			continue
		}
		ans[i].rot, ans[i].err = t.rotate(r.parentHash, r.child, r.now)
	}
	if err := t.tx.Commit(); err != nil {
		_ = t.tx.Rollback()
		return err
	}
	return nil
}

// drainClosed answers whatever is still queued when the store closes.
func (b *rotationBatcher) drainClosed() {
	for {
		select {
		case r := <-b.in:
			r.done <- rotateAns{err: errBatcherClosed}
		default:
			return
		}
	}
}
