// Package pictures checks, cleans and stores uploaded profile pictures. An
// upload is trusted only as far as decoding it goes: its file name and the
// client's content type are ignored, its declared dimensions are checked
// before the pixels are decoded (a small file can claim a huge canvas), and
// the stored copy is re-encoded from the decoded pixels, so EXIF and every
// other metadata block is dropped.
package pictures

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/image/webp"
)

// Limits from the contract.
const (
	MaxBytes = 2 << 20 // 2 MiB
	MaxSide  = 4096    // pixels, each of width and height
)

// URLPrefix is the path under which stored pictures are served. A user's
// profile_picture holds URLPrefix + name: a path, not an absolute URL, so it
// survives a change of host name or a proxy in front (see
// docs/profiles-pictures.md).
const URLPrefix = "/media/profile_pictures/"

// Errors Save returns; callers turn them into field errors.
var (
	ErrInvalid  = errors.New("not a valid image")
	ErrTooLarge = errors.New("file too large")
	ErrTooWide  = errors.New("image dimensions too large")
	ErrEmpty    = errors.New("empty file")
)

// format is one accepted input format. The decoders are named here, not
// looked up in image's global registry, so only these four are ever tried
// and the choice does not depend on which packages happen to be imported.
type format struct {
	name   string
	magic  func([]byte) bool
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

var formats = []format{
	{"png", prefix("\x89PNG\r\n\x1a\n"), png.DecodeConfig, png.Decode},
	{"jpeg", prefix("\xff\xd8\xff"), jpeg.DecodeConfig, jpeg.Decode},
	{"gif", func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a"))
	},
		gif.DecodeConfig, gif.Decode},
	{"webp", func(b []byte) bool {
		return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
	}, webp.DecodeConfig, webp.Decode},
}

func prefix(p string) func([]byte) bool {
	return func(b []byte) bool { return bytes.HasPrefix(b, []byte(p)) }
}

// Store keeps pictures in one folder under random names.
type Store struct {
	dir    string
	budget *budget
}

// New returns a Store over dir (created on first save) whose uploads
// decode within budget bytes in all (see the budget type).
func New(dir string, budget int64) *Store {
	return &Store{dir: dir, budget: newBudget(budget)}
}

// Dir is the folder pictures live in.
func (s *Store) Dir() string { return s.dir }

// DecodeBudget is the bytes all uploads being decoded at once may take.
func (s *Store) DecodeBudget() int64 { return s.budget.total }

// PeakDecodeBytes is the most bytes ever reserved for decoding at once.
func (s *Store) PeakDecodeBytes() int64 { return s.budget.peak.Load() }

// Save reads one upload, checks it and stores a clean copy. It returns the
// stored name (random hex plus .png or .jpg). JPEG stays JPEG (photos would
// grow several times as PNG); PNG, GIF and WebP become PNG, which Go encodes
// losslessly (a GIF keeps its first frame only). A JPEG's Exif orientation
// is applied to the pixels, since the tag itself does not survive.
//
// Before a pixel is decoded, the memory the picture will take is reserved
// from the decode budget (waiting, as long as ctx allows, for other uploads
// to finish); a picture that needs more than the whole budget is
// ErrTooHeavy.
func (s *Store) Save(ctx context.Context, r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return "", fmt.Errorf("read upload: %w", err)
	}
	if len(data) > MaxBytes {
		return "", ErrTooLarge
	}
	if len(data) == 0 {
		return "", ErrEmpty
	}
	f, cfg, err := inspect(data)
	if err != nil {
		return "", err
	}
	release, err := s.budget.acquire(ctx, cost(f, cfg, data))
	if err != nil {
		return "", err
	}
	defer release()
	img, err := decode(f, data)
	if err != nil {
		return "", err
	}
	ext, encode := ".png", func(w io.Writer) error {
		return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img)
	}
	if f.name == "jpeg" {
		img = orient(img, exifOrientation(data))
		ext, encode = ".jpg", func(w io.Writer) error { return jpeg.Encode(w, img, &jpeg.Options{Quality: 90}) }
	}
	name, err := randomName(ext)
	if err != nil {
		return "", err
	}
	// Encoded straight into the file: a buffer of the whole output would
	// be one more copy of the picture in memory.
	if err := s.write(name, encode); err != nil {
		return "", fmt.Errorf("re-encode %s: %w", f.name, err)
	}
	return name, nil
}

// Decode identifies data by its leading bytes (never by a name or a claimed
// type), checks the declared dimensions and only then decodes the pixels.
// It returns the image and its format name.
func Decode(data []byte) (image.Image, string, error) {
	f, _, err := inspect(data)
	if err != nil {
		return nil, "", err
	}
	img, err := decode(f, data)
	return img, f.name, err
}

// inspect identifies data's format and reads and checks its header.
func inspect(data []byte) (format, image.Config, error) {
	for _, f := range formats {
		if !f.magic(data) {
			continue
		}
		cfg, err := f.config(bytes.NewReader(data))
		if err != nil {
			return f, cfg, fmt.Errorf("%w: %s header: %v", ErrInvalid, f.name, err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 {
			return f, cfg, fmt.Errorf("%w: %s has no pixels", ErrInvalid, f.name)
		}
		if cfg.Width > MaxSide || cfg.Height > MaxSide {
			return f, cfg, fmt.Errorf("%w: %dx%d", ErrTooWide, cfg.Width, cfg.Height)
		}
		return f, cfg, nil
	}
	return format{}, image.Config{}, fmt.Errorf("%w: unknown format", ErrInvalid)
}

// decode decodes data, whose header inspect has checked.
func decode(f format, data []byte) (image.Image, error) {
	img, err := f.decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, f.name, err)
	}
	// A decoder that reports one size in the header and produces
	// another would sidestep the checks made on the header.
	if b := img.Bounds(); b.Dx() > MaxSide || b.Dy() > MaxSide {
		return nil, fmt.Errorf("%w: decoded %v", ErrTooWide, b)
	}
	return img, nil
}

func randomName(ext string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random picture name: %w", err)
	}
	return hex.EncodeToString(b[:]) + ext, nil
}

// write stores what encode writes under name atomically: a reader never
// sees half a file.
func (s *Store) write(name string, encode func(io.Writer) error) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("create picture folder: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, ".upload-*")
	if err != nil {
		return fmt.Errorf("create picture: %w", err)
	}
	w := bufio.NewWriter(tmp)
	werr := encode(w)
	if werr == nil {
		werr = w.Flush()
	}
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write picture: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, name)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("store picture: %w", err)
	}
	return nil
}

// validName matches only names Save makes, so nothing else in (or outside)
// the folder can be reached through a request path.
var validName = regexp.MustCompile(`^[0-9a-f]{32}\.(png|jpg)$`)

// ContentType returns the media type of a stored name, or "" when name is
// not one Save could have made.
func ContentType(name string) string {
	if !validName.MatchString(name) {
		return ""
	}
	if strings.HasSuffix(name, ".jpg") {
		return "image/jpeg"
	}
	return "image/png"
}

// Open opens a stored picture. A name Save could not have made is
// os.ErrNotExist, like a missing one.
func (s *Store) Open(name string) (*os.File, error) {
	if ContentType(name) == "" {
		return nil, os.ErrNotExist
	}
	return os.Open(filepath.Join(s.dir, name))
}

// URL is the profile_picture value for a stored name.
func URL(name string) string { return URLPrefix + name }

// NameOf returns the stored name a profile_picture value points at, or ""
// when the value is not one of ours (an external URL, or empty).
func NameOf(value string) string {
	name, ok := strings.CutPrefix(value, URLPrefix)
	if !ok || ContentType(name) == "" {
		return ""
	}
	return name
}

// Release removes the stored file behind a profile_picture value that is no
// longer used; values that are not ours and files already gone are ignored.
func (s *Store) Release(value string) error {
	name := NameOf(value)
	if name == "" {
		return nil
	}
	if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove picture %s: %w", name, err)
	}
	return nil
}
