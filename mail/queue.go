package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// QueueOptions tune a Queue; zero values take the defaults.
type QueueOptions struct {
	Size           int           // messages waiting at most (default 256)
	Attempts       int           // tries per message (default 5)
	Backoff        time.Duration // wait before the first retry, doubled each time (default 2s)
	MaxBackoff     time.Duration // cap on the wait (default 1m)
	AttemptTimeout time.Duration // bound on one delivery attempt (default 30s)
	// Sleep waits d or until ctx ends; tests pass one that records and
	// returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	Log   *slog.Logger
}

// Queue sends messages on one background goroutine, so a slow or dead mail
// server never holds up an HTTP request. The queue is bounded: when it is
// full a message is dropped and logged rather than letting memory grow
// without limit under a flood of reset requests.
type Queue struct {
	m      Mailer
	o      QueueOptions
	ch     chan job
	ctx    context.Context // cancelled when Close gives up waiting
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	closed  bool
	pending int
	idle    []chan struct{}
}

// NewQueue starts the worker.
func NewQueue(m Mailer, o QueueOptions) *Queue {
	if o.Size <= 0 {
		o.Size = 256
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = 2 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 30 * time.Second
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	q := &Queue{m: m, o: o, ch: make(chan job, o.Size), done: make(chan struct{})}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	go q.run()
	return q
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Build prepares a message on the worker. ok false means there is nothing
// to send; an error is logged and nothing is sent.
type Build func(ctx context.Context) (m Message, ok bool, err error)

// job is a ready message, or a Build to run first.
type job struct {
	kind  string
	msg   Message
	build Build
}

// Enqueue hands m to the worker without blocking. It reports false when the
// queue is full or closed; the message is then dropped (and logged).
func (q *Queue) Enqueue(m Message) bool { return q.put(job{kind: m.Kind, msg: m}) }

// Submit queues build to run on the worker, then delivers what it returns.
// Callers use it to keep database writes that only some requests need off
// the request path, so every request costs the same there.
func (q *Queue) Submit(kind string, build Build) bool { return q.put(job{kind: kind, build: build}) }

func (q *Queue) put(j job) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		q.o.Log.Warn("mail dropped: queue closed", "kind", j.kind)
		return false
	}
	select {
	case q.ch <- j:
		q.pending++
		return true
	default:
		q.o.Log.Warn("mail dropped: queue full", "kind", j.kind, "size", q.o.Size)
		return false
	}
}

// Flush waits until every message enqueued so far has been delivered or
// given up on.
func (q *Queue) Flush(ctx context.Context) error {
	q.mu.Lock()
	if q.pending == 0 {
		q.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	q.idle = append(q.idle, ch)
	q.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush mail queue: %w", ctx.Err())
	}
}

// Close stops accepting messages and delivers those already queued. If ctx
// ends first, the delivery in progress and the remaining retries are
// abandoned (and logged) so shutdown is never held hostage by a mail server.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	select {
	case <-q.done:
		q.cancel()
		return nil
	case <-ctx.Done():
		q.cancel()
		<-q.done
		return fmt.Errorf("drain mail queue: %w", ctx.Err())
	}
}

func (q *Queue) run() {
	defer close(q.done)
	for j := range q.ch {
		q.run1(j)
		q.mu.Lock()
		q.pending--
		if q.pending == 0 {
			for _, ch := range q.idle {
				close(ch)
			}
			q.idle = nil
		}
		q.mu.Unlock()
	}
}

func (q *Queue) run1(j job) {
	m := j.msg
	if j.build != nil {
		ctx, cancel := context.WithTimeout(q.ctx, q.o.AttemptTimeout)
		var ok bool
		var err error
		m, ok, err = j.build(ctx)
		cancel()
		if err != nil {
			q.o.Log.Error("mail not prepared", "kind", j.kind, "err", err)
			return
		}
		if !ok {
			return
		}
	}
	q.deliver(m)
}

// deliver tries m up to Attempts times with exponential backoff. Errors are
// logged with the message kind only: never the body or the recipient's link.
func (q *Queue) deliver(m Message) {
	wait := q.o.Backoff
	for attempt := 1; ; attempt++ {
		if q.ctx.Err() != nil {
			q.o.Log.Error("mail abandoned at shutdown", "kind", m.Kind, "attempt", attempt)
			return
		}
		ctx, cancel := context.WithTimeout(q.ctx, q.o.AttemptTimeout)
		err := q.m.Send(ctx, m)
		cancel()
		if err == nil {
			q.o.Log.Info("mail sent", "kind", m.Kind, "attempt", attempt)
			return
		}
		if attempt >= q.o.Attempts {
			q.o.Log.Error("mail delivery failed, giving up", "kind", m.Kind, "attempts", attempt, "err", err)
			return
		}
		q.o.Log.Warn("mail delivery failed, will retry", "kind", m.Kind, "attempt", attempt, "retry_in", wait.String(), "err", err)
		if err := q.o.Sleep(q.ctx, wait); err != nil && !errors.Is(err, context.Canceled) {
			q.o.Log.Error("mail retry wait failed", "kind", m.Kind, "err", err)
			return
		}
		wait = min(2*wait, q.o.MaxBackoff)
	}
}
