package logbuf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer the test can read while the ticker writes.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
	wrote  chan struct{} // if set, gets a value per write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.wrote != nil {
		select {
		case s.wrote <- struct{}{}:
		default:
		}
	}
	return s.b.Write(p)
}

func (s *syncBuffer) snapshot() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String(), s.writes
}

func TestWriterKeepsEveryLineWhole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		writers int
		lines   int
		lineLen int
	}{
		{"one writer, short lines", 1, 1000, 80},
		{"many writers", 16, 500, 200},
		{"lines longer than the buffer", 2, 5, Size + 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out syncBuffer
			w := New(&out, time.Hour) // only fills and Close flush here
			var wg sync.WaitGroup
			for g := range tt.writers {
				wg.Go(func() {
					for i := range tt.lines {
						head := fmt.Sprintf("%d-%d:", g, i)
						line := head + strings.Repeat("x", tt.lineLen-len(head)-1) + "\n"
						if _, err := w.Write([]byte(line)); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, writes := out.snapshot()
			lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
			if len(lines) != tt.writers*tt.lines {
				t.Fatalf("%d lines out, want %d", len(lines), tt.writers*tt.lines)
			}
			for _, l := range lines {
				if len(l) != tt.lineLen-1 || strings.Count(l, ":") != 1 {
					t.Fatalf("line torn or merged: %.40q (len %d)", l, len(l))
				}
			}
			if tt.lineLen < 1000 && writes >= tt.writers*tt.lines/10 {
				t.Fatalf("%d writes for %d lines: not batched", writes, len(lines))
			}
		})
	}
}

// The ticker flushes without Close: a quiet service's last lines appear.
func TestWriterFlushesOnTick(t *testing.T) {
	t.Parallel()
	out := syncBuffer{wrote: make(chan struct{}, 1)}
	w := New(&out, time.Millisecond)
	defer w.Close()
	if _, err := w.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-out.wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("buffered line never flushed by the ticker")
	}
	if got, _ := out.snapshot(); got != "hello\n" {
		t.Fatalf("flushed %q", got)
	}
}

// failingWriter fails its first n writes.
type failingWriter struct {
	syncBuffer
	fail int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	if f.fail > 0 {
		f.fail--
		f.mu.Unlock()
		return 0, errors.New("disk on fire")
	}
	f.mu.Unlock()
	return f.syncBuffer.Write(p)
}

// One failed flush loses that batch, not every later line; after Close,
// lines go straight out.
func TestWriterSurvivesAFailedFlushAndWritesAfterClose(t *testing.T) {
	t.Parallel()
	out := &failingWriter{fail: 1}
	w := New(out, time.Hour)
	if _, err := w.Write([]byte("lost\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err == nil {
		t.Fatal("failed flush reported no error")
	}
	if _, err := w.Write([]byte("kept\n")); err != nil {
		t.Fatalf("write after a failed flush: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("late\n")); err != nil {
		t.Fatal(err)
	}
	if got, _ := out.snapshot(); got != "kept\nlate\n" {
		t.Fatalf("got %q, want kept and late lines", got)
	}
}
