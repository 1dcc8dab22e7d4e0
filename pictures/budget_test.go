package pictures

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"testing"
)

func pngBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestCostByColourModel: the reservation follows the decoded size the
// header declares, so a 16-bit picture costs twice an 8-bit one of the same
// dimensions and a gray one a quarter.
func TestCostByColourModel(t *testing.T) {
	t.Parallel()
	r := image.Rect(0, 0, 256, 256)
	tests := []struct {
		name string
		img  image.Image
		bpp  int64
	}{
		{"gray", image.NewGray(r), 1},
		{"gray16", image.NewGray16(r), 2},
		{"nrgba", image.NewNRGBA(r), 4},
		{"rgba64", image.NewRGBA64(r), 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := pngBytes(t, tt.img)
			f, cfg, err := inspect(data)
			if err != nil {
				t.Fatal(err)
			}
			want := int64(len(data)) + 256*256*tt.bpp + encodeOverhead(256)
			if got := cost(f, cfg, data); got != want {
				t.Fatalf("cost %d, want %d", got, want)
			}
		})
	}
}

// TestBudgetRefusesAndQueuesByBytes drives the budget with a hook instead
// of timing: an upload too large for the whole budget is refused at once;
// uploads whose sum fits decode together; one that does not fit beside the
// held reservations waits, and gives up when its context ends.
func TestBudgetRefusesAndQueuesByBytes(t *testing.T) {
	t.Parallel()
	small := pngBytes(t, image.NewGray(image.Rect(0, 0, 64, 64)))
	f, cfg, err := inspect(small)
	if err != nil {
		t.Fatal(err)
	}
	one := cost(f, cfg, small)
	// Room for exactly two small pictures: a count of slots would not
	// tell these cases apart.
	s := New(t.TempDir(), 2*one)

	big := pngBytes(t, image.NewRGBA64(image.Rect(0, 0, 512, 512))) // 2 MiB of pixels
	if _, err := s.Save(context.Background(), bytes.NewReader(big)); !errors.Is(err, ErrTooHeavy) {
		t.Fatalf("over the whole budget: %v, want ErrTooHeavy", err)
	}

	entered := make(chan int64)
	proceed := make(chan struct{})
	s.budget.held = func(n int64) {
		entered <- n
		<-proceed
	}
	done := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := s.Save(context.Background(), bytes.NewReader(small))
			done <- err
		}()
	}
	// Both hold their reservation at once.
	for range 2 {
		if n := <-entered; n != one {
			t.Fatalf("reserved %d, want %d", n, one)
		}
	}
	if got := s.budget.inUse.Load(); got != 2*one {
		t.Fatalf("in use %d, want %d", got, 2*one)
	}
	// A third finds no room: it waits, and leaves when its context ends
	// without ever reaching the hook (which would block it forever).
	ctx, cancel := context.WithCancel(context.Background())
	third := make(chan error, 1)
	go func() {
		_, err := s.Save(ctx, bytes.NewReader(small))
		third <- err
	}()
	cancel()
	if err := <-third; !errors.Is(err, context.Canceled) {
		t.Fatalf("third upload: %v, want context.Canceled", err)
	}
	close(proceed)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got, peak := s.budget.inUse.Load(), s.PeakDecodeBytes(); got != 0 || peak != 2*one {
		t.Fatalf("in use %d, peak %d; want 0 and %d", got, peak, 2*one)
	}
}
