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
	mu     sync.Mutex
	w      *bufio.Writer
	done   chan struct{}
	closed chan struct{}
}

// Size is the buffer: a busy second's worth of access lines is a few of these.
const Size = 64 << 10

// New starts the flushing goroutine; Close stops it.
func New(w io.Writer, every time.Duration) *Writer {
	b := &Writer{w: bufio.NewWriterSize(w, Size), done: make(chan struct{}), closed: make(chan struct{})}
	go b.loop(every)
	return b
}

// Write buffers p; it is safe for concurrent use. A line is never split
// between flushes unless it is larger than the buffer.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.w.Available() < len(p) && b.w.Buffered() > 0 {
		if err := b.w.Flush(); err != nil {
			return 0, err
		}
	}
	return b.w.Write(p)
}

// Flush writes out what is buffered.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

func (b *Writer) loop(every time.Duration) {
	defer close(b.closed)
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

// Close stops the ticker and flushes the rest. Writes after Close still
// reach the buffer but are flushed only when it fills: call Close last.
func (b *Writer) Close() error {
	close(b.done)
	<-b.closed
	return b.Flush()
}
