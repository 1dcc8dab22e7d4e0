// Package cleanup runs the background job that deletes expired sessions,
// refresh tokens, password-reset tokens and other expiring rows in small batches, so the database
// does not grow without bound.
package cleanup

import (
	"context"
	"log/slog"
	"time"
)

// Store is what the job needs from models.Store.
type Store interface {
	DeleteExpired(ctx context.Context, now time.Time, batch int) (int64, error)
}

// Job deletes expired rows every Interval.
type Job struct {
	Store    Store
	Now      func() time.Time
	Log      *slog.Logger
	Interval time.Duration // between sweeps; default 5 minutes
	Batch    int           // rows per statement; default 500
	// Pause between batches of one sweep, so requests get the writer.
	Pause time.Duration
	// Tasks are other periodic upkeep run after each sweep (refreshing
	// cached counts); a failure is logged like a failed sweep.
	Tasks []func(context.Context) error
}

// Sweep deletes everything expired at Now, batch by batch, and returns the
// number of rows removed.
func (j *Job) Sweep(ctx context.Context) (int64, error) {
	batch := j.Batch
	if batch <= 0 {
		batch = 500
	}
	var total int64
	for {
		n, err := j.Store.DeleteExpired(ctx, j.Now().UTC(), batch)
		total += n
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, nil
		}
		if j.Pause > 0 {
			select {
			case <-ctx.Done():
				return total, ctx.Err()
			case <-time.After(j.Pause):
			}
		}
	}
}

// Run sweeps every Interval until ctx ends. A failed sweep is logged and
// retried at the next tick: cleanup is never worth stopping the service.
func (j *Job) Run(ctx context.Context) {
	every := j.Interval
	if every <= 0 {
		every = 5 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := j.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			j.Log.Warn("cleanup sweep failed", "deleted", n, "err", err)
		case n > 0:
			j.Log.Info("cleanup sweep", "deleted", n)
		}
		for _, task := range j.Tasks {
			if err := task(ctx); err != nil && ctx.Err() == nil {
				j.Log.Warn("periodic task failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
