// Package logbuf batches log lines into few writes. One JSON line per request
// written straight to stderr is one write system call per request, a tenth of
// the cost of answering a token check; buffered, thousands of lines share one.
package logbuf

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Writer buffers writes to an io.Writer and flushes them every interval,
// whenever the buffer fills, and on Close. Lines written in the last interval
// before the process is killed (not stopped) are lost; that is the price.
type Writer struct {
	mu       sync.Mutex
	out      io.Writer
	w        *bufio.Writer
	shut     bool // after Close, writes go straight to out
	done     chan struct{}
	loopDone chan struct{}
}

// Size is the buffer: a busy second's worth of access lines is a few of these.
const Size = 64 << 10

// New starts the flushing goroutine; Close stops it.
func New(w io.Writer, every time.Duration) *Writer {
	b := &Writer{out: w, w: bufio.NewWriterSize(w, Size), done: make(chan struct{}), loopDone: make(chan struct{})}
	go b.loop(every)
	return b
}

// Write buffers p; it is safe for concurrent use. A line is never split
// between flushes unless it is larger than the buffer. After Close, lines go
// straight out (a request that outlived the shutdown deadline still logs).
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shut {
		return b.out.Write(p)
	}
	if b.w.Available() < len(p) && b.w.Buffered() > 0 {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
	}
	return b.w.Write(p)
}

// Flush writes out what is buffered.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

// flushLocked flushes; on a failed write it drops the batch and starts
// afresh, because a bufio.Writer that saw an error refuses every later
// write, and one bad moment on stderr must not silence the log for good.
func (b *Writer) flushLocked() error {
	err := b.w.Flush()
	if err != nil {
		b.w.Reset(b.out)
	}
	return err
}

func (b *Writer) loop(every time.Duration) {
	defer close(b.loopDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = b.Flush()
		case <-b.done:
			return
		}
	}
}

// Close stops the ticker and flushes the rest; later writes are not
// buffered.
func (b *Writer) Close() error {
	close(b.done)
	<-b.loopDone
	b.mu.Lock()
	defer b.mu.Unlock()
	b.shut = true
	return b.flushLocked()
}
