package pictures_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"authsvc/pictures"
)

// TinyWebP is a 1x1 lossless WebP built by hand from the RIFF and VP8L
// specifications (x/image can decode WebP but not encode it):
//
//	VP8L payload: 0x2f signature; 14 bits width-1 = 0, 14 bits height-1 = 0,
//	alpha_is_used = 0, version = 0 (four zero bytes); then, LSB first: no
//	transform (0), no color cache (0), no meta prefix codes (0), and five
//	"simple" prefix codes (green, red, blue, alpha, distance), each
//	1 (simple), 0 (one symbol), 0 (1-bit symbol), 0 (symbol 0): bits
//	3, 7, 11, 15 and 19 set -> 0x88 0x88 0x08. One pixel needs no bits.
var TinyWebP = func() []byte {
	payload := []byte{0x2f, 0, 0, 0, 0, 0x88, 0x88, 0x08}
	return riff("VP8L", payload)
}()

func riff(chunk string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(4+8+len(payload)))
	b.WriteString("WEBP")
	b.WriteString(chunk)
	binary.Write(&b, binary.LittleEndian, uint32(len(payload)))
	b.Write(payload)
	return b.Bytes()
}

// hugeWebP claims 16384x16384 in the VP8L header (14 bits of width-1 and
// height-1 all ones) and has no pixel data at all.
func hugeWebP() []byte {
	// 0x3fff | 0x3fff<<14, little-endian, alpha and version 0.
	v := uint32(0x3fff) | uint32(0x3fff)<<14
	payload := []byte{0x2f, byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24), 0, 0, 0}
	return riff("VP8L", payload)
}

func TestTinyWebPDecodes(t *testing.T) {
	img, kind, err := pictures.Decode(TinyWebP)
	if err != nil {
		t.Fatalf("decode hand-made WebP: %v", err)
	}
	if kind != "webp" || img.Bounds().Dx() != 1 || img.Bounds().Dy() != 1 {
		t.Fatalf("got %s %v, want webp 1x1", kind, img.Bounds())
	}
}

func TestDecodeRefusesBeforeDecoding(t *testing.T) {
	_, _, err := pictures.Decode(hugeWebP())
	if !errors.Is(err, pictures.ErrTooWide) {
		t.Fatalf("16384x16384 WebP: got %v, want ErrTooWide", err)
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		value, name string
	}{
		{pictures.URLPrefix + "0123456789abcdef0123456789abcdef.png", "0123456789abcdef0123456789abcdef.png"},
		{pictures.URLPrefix + "0123456789abcdef0123456789abcdef.jpg", "0123456789abcdef0123456789abcdef.jpg"},
		{pictures.URLPrefix + "../auth.db", ""},
		{pictures.URLPrefix + "0123456789ABCDEF0123456789abcdef.png", ""},
		{pictures.URLPrefix + "0123456789abcdef0123456789abcdef.gif", ""},
		{"https://example.com/media/profile_pictures/0123456789abcdef0123456789abcdef.png", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := pictures.NameOf(tt.value); got != tt.name {
			t.Errorf("NameOf(%q) = %q, want %q", tt.value, got, tt.name)
		}
	}
}

func TestSaveAndRelease(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pics")
	s := pictures.New(dir, 64<<20)
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.NRGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	name, err := s.Save(context.Background(), &buf)
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	if pictures.ContentType(name) != "image/png" {
		t.Fatalf("stored name %q is not a PNG name", name)
	}
	f, err := s.Open(name)
	if err != nil {
		t.Fatalf("open stored: %v", err)
	}
	got, err := png.Decode(f)
	f.Close()
	if err != nil || got.Bounds() != img.Bounds() {
		t.Fatalf("stored copy: %v %v", err, got)
	}
	if _, err := s.Open("../" + name); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("open with a path: %v, want ErrNotExist", err)
	}
	if err := s.Release(pictures.URL(name)); err != nil {
		t.Fatalf("release: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file still there after release: %v", err)
	}
	if err := s.Release(pictures.URL(name)); err != nil {
		t.Fatalf("second release: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("folder not empty (temp files left?): %v", entries)
	}
}

// exifJPEG encodes img as JPEG with an Exif block holding only the given
// Orientation tag (big-endian TIFF, one IFD0 entry).
func exifJPEG(t *testing.T, img image.Image, orientation uint16) []byte {
	t.Helper()
	var j bytes.Buffer
	if err := jpeg.Encode(&j, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	tiff := []byte("MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00")
	binary.BigEndian.PutUint16(tiff[18:], orientation)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{0xff, 0xd8}, seg...)
	out = append(out, payload...)
	return append(out, j.Bytes()[2:]...)
}

// TestExifOrientationApplied: a wide picture whose tag says "turn it a
// quarter clockwise" is stored tall, with its left (red) half on top; the
// other tags turn it the other ways.
func TestExifOrientationApplied(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for y := range 8 {
		for x := range 16 {
			c := color.RGBA{B: 255, A: 255}
			if x < 8 {
				c = color.RGBA{R: 255, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	tests := []struct {
		orientation uint16
		w, h        int
		topRed      bool // red at the top-left corner
		bottomRed   bool // red at the bottom-left corner
	}{
		{1, 16, 8, true, true},
		{6, 8, 16, true, false}, // the left column became the top row
		{8, 8, 16, false, true}, // the left column became the bottom row
		{3, 16, 8, false, false},
	}
	s := pictures.New(t.TempDir(), 64<<20)
	for _, tt := range tests {
		name, err := s.Save(context.Background(), bytes.NewReader(exifJPEG(t, img, tt.orientation)))
		if err != nil {
			t.Fatalf("orientation %d: %v", tt.orientation, err)
		}
		f, err := s.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := jpeg.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		b := got.Bounds()
		red := func(x, y int) bool { r, _, bl, _ := got.At(x, y).RGBA(); return r > bl }
		if b.Dx() != tt.w || b.Dy() != tt.h || red(1, 1) != tt.topRed || red(1, b.Dy()-2) != tt.bottomRed {
			t.Errorf("orientation %d: %dx%d, red top-left %v bottom-left %v; want %dx%d %v %v",
				tt.orientation, b.Dx(), b.Dy(), red(1, 1), red(1, b.Dy()-2), tt.w, tt.h, tt.topRed, tt.bottomRed)
		}
	}
}
