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

// ErrWriterClosed answers a rotation that reaches the store after Close.
var ErrWriterClosed = errors.New("rotation writer stopped")

// stepReq is one caller waiting for its rotation step to be committed.
type stepReq struct {
	ctx  context.Context
	st   *RefreshStep
	out  *RefreshState
	done chan error
}

// batchHooks let tests hold the writer or a caller at a chosen moment; nil
// in production.
type batchHooks struct {
	beforeQueue func() // a caller has checked the writer is open, before queueing
	beforeRun   func() // the writer has a batch, before its transaction
}

// rotationBatcher is the group-commit writer for refresh rotations on SQLite.
//
// With synchronous=FULL every commit costs an fsync, and one fsync'd
// transaction per rotation tops out at about two thousand a second on one
// disk however many callers wait. The batcher runs every rotation waiting in
// its queue in ONE transaction and answers each caller only after that
// commit, so the durability promise is unchanged while the fsync is shared.
// A rotation is one UPDATE (and a read when it matched nothing), so a failed
// statement undoes nothing but itself; the rest of that batch is then
// answered with the error without running, and what ran before it commits.
//
// A batch only forms if the writer lets other requests reach the queue before
// draining it: on a busy core the first request would otherwise wake the
// writer alone and every "batch" would hold one rotation. So after the first
// request the writer yields (runtime.Gosched) and drains again, as long as
// each round brings more, up to gatherRounds; no timer, no fixed delay.
//
// Stopping: close marks the writer closed under mu, which waits for any
// caller between its check and its send; no send can follow, so the queue
// is closed and the writer runs what is left in it before it exits. Every
// queued rotation is answered, and nobody sends on a closed queue.
type rotationBatcher struct {
	db     *sql.DB
	stmts  refreshStmts
	in     chan *stepReq
	obs    BatchObserver
	log    *slog.Logger
	hooks  batchHooks
	mu     sync.RWMutex // held shared from a caller's closed check to its send
	closed bool
	exited chan struct{}
	pool   sync.Pool
	statMu sync.Mutex
	st     BatchStats
}

// BatchStats summarise the group commits so far (tests, the load tool's
// report through the log line).
type BatchStats struct {
	Batches   int64
	Rotations int64
	MaxBatch  int
}

func newRotationBatcher(db *sql.DB, stmts refreshStmts, obs BatchObserver, log *slog.Logger, hooks batchHooks) *rotationBatcher {
	b := &rotationBatcher{
		db: db, stmts: stmts, in: make(chan *stepReq, MaxRotationBatch), obs: obs, log: log, hooks: hooks,
		exited: make(chan struct{}),
	}
	b.pool.New = func() any { return &stepReq{done: make(chan error, 1)} }
	go b.loop()
	return b
}

// step queues one rotation step and waits for its committed outcome.
func (b *rotationBatcher) step(ctx context.Context, st *RefreshStep, out *RefreshState) error {
	r := b.pool.Get().(*stepReq)
	r.ctx, r.st, r.out = ctx, st, out
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		b.put(r)
		return ErrWriterClosed
	}
	if b.hooks.beforeQueue != nil {
		b.hooks.beforeQueue()
	}
	select {
	case b.in <- r:
	case <-ctx.Done():
		b.mu.RUnlock()
		b.put(r)
		return fmt.Errorf("queue rotation: %w", ctx.Err())
	}
	b.mu.RUnlock()
	// Once queued, wait for the answer even if ctx ends: the writer may
	// already have committed the rotation, and the caller must not hear
	// "failed" for a token that was in fact retired.
	err := <-r.done
	b.put(r)
	return err
}

func (b *rotationBatcher) put(r *stepReq) {
	r.ctx, r.st, r.out = nil, nil, nil
	b.pool.Put(r)
}

// close stops the writer after it has answered everything queued.
func (b *rotationBatcher) close() {
	b.mu.Lock()
	already := b.closed
	b.closed = true
	b.mu.Unlock()
	if !already {
		close(b.in)
	}
	<-b.exited
}

// RotationStats returns the group-commit totals so far (zero on PostgreSQL
// or with PlainRotate, where there is no batching).
func (s *Store) RotationStats() BatchStats {
	if s.batch == nil {
		return BatchStats{}
	}
	b := s.batch
	b.statMu.Lock()
	defer b.statMu.Unlock()
	return b.st
}

func (b *rotationBatcher) loop() {
	defer close(b.exited)
	batch := make([]*stepReq, 0, MaxRotationBatch)
	for {
		r, ok := <-b.in
		if !ok {
			return
		}
		batch = b.gather(append(batch[:0], r))
		b.commit(batch)
	}
}

// gather adds what is queued behind the first request, yielding between
// rounds so that requests which are runnable but not yet queued get there.
func (b *rotationBatcher) gather(batch []*stepReq) []*stepReq {
	for round := 0; round < gatherRounds && len(batch) < MaxRotationBatch; round++ {
		runtime.Gosched()
		before := len(batch)
	drain:
		for len(batch) < MaxRotationBatch {
			select {
			case r, ok := <-b.in:
				if !ok {
					return batch
				}
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
func (b *rotationBatcher) commit(batch []*stepReq) {
	if b.hooks.beforeRun != nil {
		b.hooks.beforeRun()
	}
	start := time.Now()
	errs := make([]error, len(batch))
	// The transaction is not tied to any one caller's context: one client
	// going away must not roll back everyone else's rotation.
	err := b.run(batch, errs)
	if err != nil {
		err = fmt.Errorf("commit rotation batch of %d: %w", len(batch), err)
	}
	took := time.Since(start)
	for i, r := range batch {
		if err != nil && errs[i] == nil {
			errs[i] = err
		}
		r.done <- errs[i]
	}
	b.record(len(batch), took, err)
}

// run executes the batch in one transaction; per-step failures land in
// errs, a returned error fails the whole batch (nothing was committed).
func (b *rotationBatcher) run(batch []*stepReq, errs []error) error {
	ctx := context.Background()
	tx, err := b.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock on the writer DSN)
	if err != nil {
		return fmt.Errorf("begin rotation batch: %w", err)
	}
	stmts := b.stmts.bind(ctx, tx)
	var failed error
	for i, r := range batch {
		switch {
		case failed != nil:
			// A statement failed: SQLite may have rolled the whole
			// transaction back, so nothing after it runs.
			errs[i] = fmt.Errorf("rotation not run: %w", failed)
		case r.ctx.Err() != nil:
			errs[i] = fmt.Errorf("rotation abandoned: %w", r.ctx.Err())
		default:
			errs[i] = stmts.run(ctx, tx, r.st, r.out)
			failed = errs[i]
		}
	}
	if err := tx.Commit(); err != nil {
		_ = tx.Rollback()
		return err
	}
	return nil
}

func (b *rotationBatcher) record(size int, took time.Duration, err error) {
	b.statMu.Lock()
	b.st.Batches++
	b.st.Rotations += int64(size)
	b.st.MaxBatch = max(b.st.MaxBatch, size)
	b.statMu.Unlock()
	if b.obs != nil {
		b.obs.ObserveRotationBatch(size, took)
	}
	if b.log != nil && b.log.Enabled(context.Background(), slog.LevelDebug) {
		b.log.LogAttrs(context.Background(), slog.LevelDebug, "rotation batch committed",
			slog.Int("batch_size", size), slog.Duration("took", took), slog.Any("err", err))
	}
}
