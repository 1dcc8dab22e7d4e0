package pictures

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// ErrTooHeavy is Save's answer to a picture whose decoding alone would need
// more memory than the whole decode budget: it could never be processed.
var ErrTooHeavy = errors.New("image needs too much memory to decode")

// budget bounds the memory of the uploads being decoded at once. A count of
// slots is not enough: a 130 KB all-zero 4096x4096 16-bit PNG decodes to
// 128 MiB, so two "slots" of those are a quarter GiB; the budget instead
// reserves, before decoding, the bytes each picture will take.
type budget struct {
	sem   *semaphore.Weighted
	total int64
	inUse atomic.Int64
	peak  atomic.Int64
	// held, when set (tests in this package), runs while a reservation is
	// held, so a test can stop an upload there and see what others do.
	held func(n int64)
}

func newBudget(total int64) *budget {
	return &budget{sem: semaphore.NewWeighted(total), total: total}
}

// acquire reserves n bytes, waiting for earlier uploads to release theirs
// for as long as ctx allows. A picture over the whole budget is ErrTooHeavy
// at once: waiting could never make room for it.
func (b *budget) acquire(ctx context.Context, n int64) (release func(), err error) {
	if n > b.total {
		return nil, fmt.Errorf("%w: needs %d bytes, budget %d", ErrTooHeavy, n, b.total)
	}
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, fmt.Errorf("wait for picture decode budget: %w", err)
	}
	now := b.inUse.Add(n)
	for p := b.peak.Load(); now > p && !b.peak.CompareAndSwap(p, now); p = b.peak.Load() {
	}
	if b.held != nil {
		b.held(n)
	}
	return func() {
		b.inUse.Add(-n)
		b.sem.Release(n)
	}, nil
}

// encodeOverhead is what re-encoding takes besides the decoded pixels: the
// encoders' compressor state and a few rows (the output streams to disk).
func encodeOverhead(width int) int64 { return 1<<20 + 5*8*int64(width) }

// cost estimates the bytes decoding and re-encoding data will hold at
// once: the upload itself, the decoded pixels (by the colour model the
// header declares), each format's working copies, and the encoder.
func cost(f format, cfg image.Config, data []byte) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	bpp := bytesPerPixel(cfg.ColorModel)
	if f.name == "png" {
		// png.DecodeConfig stops after IHDR and never sees a tRNS chunk,
		// with which image/png decodes grey pictures as NRGBA (NRGBA64 for
		// 16 bits): count them at that size rather than trust the header.
		switch cfg.ColorModel {
		case color.GrayModel:
			bpp = 4
		case color.Gray16Model:
			bpp = 8
		}
	}
	pixels := px * bpp
	extra := int64(0)
	switch f.name {
	case "png":
		// Adam7 decodes each pass into its own image before merging it
		// into the full one; the largest pass is half the picture.
		if len(data) > 28 && data[28] == 1 {
			extra = pixels / 2
		}
	case "jpeg":
		// A progressive JPEG keeps every DCT coefficient between scans:
		// 4 bytes per sample of every component.
		if progressiveJPEG(data) {
			extra = px * 4 * components(cfg.ColorModel)
		}
		// An Exif orientation is applied through two RGBA copies.
		if exifOrientation(data) > 1 {
			extra += px * 8
		}
	case "webp":
		// The lossless decoder works on 32-bit pixels before building the
		// image, and a lossy one decodes its alpha plane that way.
		extra = px * 4
	case "gif":
		// gif.Decode stops after the first frame (the only one kept), and
		// a frame may not exceed the declared screen: one paletted frame.
	}
	return int64(len(data)) + pixels + extra + encodeOverhead(cfg.Width)
}

// bytesPerPixel is the size of a decoded pixel in the colour model a
// header declares; unknown models count as the widest (8).
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3 // 4:4:4 at worst; subsampled pictures take less
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel, color.NYCbCrAModel:
		return 4
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

func components(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.Gray16Model:
		return 1
	case color.CMYKModel:
		return 4
	}
	return 3
}

// progressiveJPEG walks the marker segments up to the first start-of-frame
// and reports whether it is a progressive one (SOF2, SOF6, SOF10, SOF14).
// Anything it cannot follow counts as progressive: the larger estimate.
func progressiveJPEG(data []byte) bool {
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return true
		}
		m := data[i+1]
		if m == 0xff { // fill byte
			i++
			continue
		}
		if m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc {
			return m == 0xc2 || m == 0xc6 || m == 0xca || m == 0xce
		}
		i += 2 + int(binary.BigEndian.Uint16(data[i+2:]))
	}
	return true
}
