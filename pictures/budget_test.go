package pictures

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
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
		// Grey PNGs count at their size with transparency (tRNS), which the
		// header does not tell: see TestCostCoversDecodedPixels.
		{"gray", image.NewGray(r), 4},
		{"gray16", image.NewGray16(r), 8},
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

// withTRNS inserts a tRNS chunk (transparency for one grey level) right
// after IHDR. png.DecodeConfig stops at IHDR and reports Gray/Gray16, but
// png.Decode turns such a picture into NRGBA/NRGBA64: four times the bytes.
func withTRNS(t *testing.T, data []byte, sample []byte) []byte {
	t.Helper()
	const ihdrEnd = 8 + 8 + 13 + 4 // signature, IHDR length+type, body, CRC
	var chunk bytes.Buffer
	_ = binary.Write(&chunk, binary.BigEndian, uint32(len(sample)))
	chunk.WriteString("tRNS")
	chunk.Write(sample)
	_ = binary.Write(&chunk, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("tRNS"), sample...)))
	out := append([]byte{}, data[:ihdrEnd]...)
	out = append(out, chunk.Bytes()...)
	return append(out, data[ihdrEnd:]...)
}

// pixBytes is the size of a decoded picture's pixel buffer.
func pixBytes(t *testing.T, img image.Image) int64 {
	t.Helper()
	switch m := img.(type) {
	case *image.Gray:
		return int64(len(m.Pix))
	case *image.Gray16:
		return int64(len(m.Pix))
	case *image.NRGBA:
		return int64(len(m.Pix))
	case *image.NRGBA64:
		return int64(len(m.Pix))
	case *image.RGBA:
		return int64(len(m.Pix))
	case *image.RGBA64:
		return int64(len(m.Pix))
	case *image.Paletted:
		return int64(len(m.Pix))
	}
	t.Fatalf("unexpected decoded type %T", img)
	return 0
}

// TestCostCoversDecodedPixels: whatever DecodeConfig reports, the
// reservation is at least what the decoder really allocates for the pixels.
func TestCostCoversDecodedPixels(t *testing.T) {
	t.Parallel()
	r := image.Rect(0, 0, 128, 128)
	tests := []struct {
		name string
		data func(t *testing.T) []byte
	}{
		{"gray", func(t *testing.T) []byte { return pngBytes(t, image.NewGray(r)) }},
		{"gray with tRNS", func(t *testing.T) []byte { return withTRNS(t, pngBytes(t, image.NewGray(r)), []byte{0, 0}) }},
		{"gray16 with tRNS", func(t *testing.T) []byte { return withTRNS(t, pngBytes(t, image.NewGray16(r)), []byte{0, 0}) }},
		{"nrgba", func(t *testing.T) []byte { return pngBytes(t, image.NewNRGBA(r)) }},
		{"rgba64", func(t *testing.T) []byte { return pngBytes(t, image.NewRGBA64(r)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := tt.data(t)
			f, cfg, err := inspect(data)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			need := int64(len(data)) + pixBytes(t, img)
			// The encoder's share is for re-encoding, not for these pixels.
			if got := cost(f, cfg, data) - encodeOverhead(cfg.Width); got < need {
				t.Fatalf("decode cost %d under what decoding allocates (%d: %T)", got, need, img)
			}
		})
	}
}
