package handlers_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"authsvc/internal/testserver"
	"authsvc/pictures"
)

const (
	picturePath = "/api/auth/profile/picture/"
	msgNotImage = "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
)

// noisy is a w x h picture with varied pixels, so encoders cannot shrink it
// to nothing and a truncated copy really lacks data.
func noisy(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	seed := uint32(2463534242)
	for i := range img.Pix {
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		img.Pix[i] = byte(seed)
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	return img
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, noisy(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, noisy(w, h), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gifOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White, color.RGBA{R: 255, A: 255}})
	for i := range img.Pix {
		img.Pix[i] = uint8(i % 3)
	}
	var b bytes.Buffer
	if err := gif.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tinyWebP is a 1x1 lossless WebP written by hand (see pictures' tests for
// the bit layout): x/image decodes WebP but cannot encode it.
var tinyWebP = []byte{
	'R', 'I', 'F', 'F', 20, 0, 0, 0, 'W', 'E', 'B', 'P',
	'V', 'P', '8', 'L', 8, 0, 0, 0,
	0x2f, 0, 0, 0, 0, 0x88, 0x88, 0x08,
}

// withExif inserts an APP1 Exif segment (a TIFF header and a marker string
// standing in for GPS data) right after the JPEG's SOI marker.
func withExif(t *testing.T, jpg []byte) []byte {
	t.Helper()
	payload := append([]byte("Exif\x00\x00II*\x00\x08\x00\x00\x00\x00\x00"), []byte("GPS-SECRET-LOCATION")...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, jpg[2:]...)
	if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("JPEG with Exif does not decode: %v", err)
	}
	return out
}

// pngChunk frames one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return b.Bytes()
}

// floodPNG is a well-formed PNG of a few hundred bytes whose header claims
// w x h pixels: decoding it in full would allocate w*h*4 bytes first.
func floodPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	b.Write(pngChunk("IHDR", ihdr))
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 64<<10)) // compresses to a few hundred bytes
	zw.Close()
	b.Write(pngChunk("IDAT", z.Bytes()))
	b.Write(pngChunk("IEND", nil))
	return b.Bytes()
}

// storedFiles lists the picture folder of s (missing folder: none).
func storedFiles(t *testing.T, s *testserver.Server) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.Dir, "data", "media", "profile_pictures"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func storedExists(t *testing.T, s *testserver.Server, value string) bool {
	t.Helper()
	name := pictures.NameOf(value)
	if name == "" {
		t.Fatalf("%q is not a stored picture path", value)
	}
	_, err := os.Stat(filepath.Join(s.Dir, "data", "media", "profile_pictures", name))
	return err == nil
}

// testPassword passes the policy and is unlike any test user name
// (testserver.NewUser derives the password from the name, which the
// similarity rule refuses).
const testPassword = "Quartz-lamp-Velvet-91"

// newUser registers name and logs in.
func newUser(t *testing.T, s *testserver.Server, name string) (testserver.Pair, string) {
	t.Helper()
	r := s.Post("/api/auth/register/", map[string]string{"username": name, "password": testPassword})
	if r.Status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", name, r.Status, r.Body)
	}
	r = s.Post("/api/auth/token/", map[string]string{"username": name, "password": testPassword})
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", name, r.Status, r.Body)
	}
	return testserver.Pair{Access: r.Str(t, "access"), Refresh: r.Str(t, "refresh")}, testPassword
}

func upload(s *testserver.Server, bearer, name, ctype string, data []byte) *testserver.Response {
	return s.Upload(http.MethodPut, picturePath, bearer,
		testserver.File{Field: "profile_picture", Name: name, ContentType: ctype, Data: data}, nil)
}

// uploaded checks a 200 upload answer and returns the profile_picture path.
func uploaded(t *testing.T, r *testserver.Response, ext string) string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	pic := r.Str(t, "profile_picture")
	if !strings.HasPrefix(pic, pictures.URLPrefix) || !strings.HasSuffix(pic, ext) || pictures.NameOf(pic) == "" {
		t.Fatalf("profile_picture = %q, want %s<random>%s", pic, pictures.URLPrefix, ext)
	}
	return pic
}

func TestPictureUploadEachFormat(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	tests := []struct {
		name, file, ctype string
		data              func(t *testing.T) []byte
		ext, served       string
		w, h              int
	}{
		{"png", "a.png", "image/png", func(t *testing.T) []byte { return pngOf(t, 40, 30) }, ".png", "image/png", 40, 30},
		{"jpeg", "a.jpg", "image/jpeg", func(t *testing.T) []byte { return jpegOf(t, 33, 17) }, ".jpg", "image/jpeg", 33, 17},
		{"gif", "a.gif", "image/gif", func(t *testing.T) []byte { return gifOf(t, 9, 5) }, ".png", "image/png", 9, 5},
		{"webp", "a.webp", "image/webp", func(*testing.T) []byte { return tinyWebP }, ".png", "image/png", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pair, _ := newUser(t, s, "up_"+tt.name)
			pic := uploaded(t, upload(s, pair.Access, tt.file, tt.ctype, tt.data(t)), tt.ext)
			if got := s.Do(testserver.Request{Method: "GET", Path: "/api/auth/profile/", Bearer: pair.Access}).Str(t, "profile_picture"); got != pic {
				t.Fatalf("own profile shows %q, upload answered %q", got, pic)
			}
			r := s.Do(testserver.Request{Method: "GET", Path: pic})
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", pic, r.Status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); ct != tt.served {
				t.Fatalf("Content-Type %q, want %q", ct, tt.served)
			}
			if r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("no nosniff header: %v", r.Header)
			}
			cfg, kind, err := image.DecodeConfig(bytes.NewReader(r.Body))
			if err != nil || cfg.Width != tt.w || cfg.Height != tt.h || "image/"+kind != tt.served {
				t.Fatalf("served file: %v %s %dx%d, want %s %dx%d", err, kind, cfg.Width, cfg.Height, tt.served, tt.w, tt.h)
			}
		})
	}
}

// TestPictureNameAndTypeIgnored: the bytes decide, never the file name or
// the client's content type.
func TestPictureNameAndTypeIgnored(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pair, _ := newUser(t, s, "liar")
	pic := uploaded(t, upload(s, pair.Access, "holiday.jpg", "image/gif", pngOf(t, 8, 8)), ".png")
	if r := s.Do(testserver.Request{Method: "GET", Path: pic}); r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("served as %q", r.Header.Get("Content-Type"))
	}
	r := upload(s, pair.Access, "avatar.png", "image/png", []byte("<html><script>alert(1)</script></html>"))
	if r.Status != http.StatusBadRequest || r.JSON(t)["profile_picture"].([]any)[0] != msgNotImage {
		t.Fatalf("text named .png: %d %s", r.Status, r.Body)
	}
	// The refused upload changed nothing.
	if got := s.Do(testserver.Request{Method: "GET", Path: "/api/auth/profile/", Bearer: pair.Access}).Str(t, "profile_picture"); got != pic {
		t.Fatalf("profile_picture changed to %q by a refused upload", got)
	}
}

func TestPictureUploadRefused(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pair, _ := newUser(t, s, "refused")
	goodPNG := pngOf(t, 64, 64)
	goodJPEG := jpegOf(t, 64, 64)
	oversized := append(append([]byte{}, goodPNG...), make([]byte, pictures.MaxBytes+1-len(goodPNG))...)
	tooWide := "Ensure this image is no larger than 4096x4096 pixels."
	tests := []struct {
		name   string
		send   func() *testserver.Response
		status int
		field  string // the expected profile_picture message ("" : not checked)
	}{
		{"truncated png", func() *testserver.Response {
			return upload(s, pair.Access, "a.png", "image/png", goodPNG[:len(goodPNG)/2])
		}, 400, msgNotImage},
		{"truncated jpeg", func() *testserver.Response {
			return upload(s, pair.Access, "a.jpg", "image/jpeg", goodJPEG[:len(goodJPEG)/2])
		}, 400, msgNotImage},
		{"header only", func() *testserver.Response { return upload(s, pair.Access, "a.png", "image/png", goodPNG[:8]) }, 400, msgNotImage},
		{"over 2 MiB", func() *testserver.Response { return upload(s, pair.Access, "a.png", "image/png", oversized) }, 400,
			"Ensure this file is no larger than 2 MiB (2097152 bytes)."},
		{"pixel flood png", func() *testserver.Response {
			return upload(s, pair.Access, "a.png", "image/png", floodPNG(50000, 50000))
		}, 400, tooWide},
		{"one side too long", func() *testserver.Response { return upload(s, pair.Access, "a.png", "image/png", floodPNG(4097, 1)) }, 400, tooWide},
		{"empty file", func() *testserver.Response { return upload(s, pair.Access, "a.png", "image/png", nil) }, 400, "The submitted file is empty."},
		{"no file", func() *testserver.Response {
			return s.Upload(http.MethodPut, picturePath, pair.Access, testserver.File{}, map[string]string{"bio": "x"})
		}, 400, "No file was submitted."},
		{"json string", func() *testserver.Response {
			return s.Do(testserver.Request{Method: "PUT", Path: picturePath, Bearer: pair.Access,
				JSON: map[string]string{"profile_picture": "https://example.com/a.png"}})
		}, 400, "The submitted data was not a file. Check the encoding type on the form."},
		{"body over the route limit", func() *testserver.Response {
			return upload(s, pair.Access, "a.png", "image/png", make([]byte, 3<<20))
		}, 413, ""},
		{"anonymous", func() *testserver.Response { return upload(s, "", "a.png", "image/png", goodPNG) }, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.send()
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if tt.field != "" {
				msgs, _ := r.JSON(t)["profile_picture"].([]any)
				if len(msgs) != 1 || msgs[0] != tt.field {
					t.Fatalf("body %s, want profile_picture [%q]", r.Body, tt.field)
				}
			}
		})
	}
	if files := storedFiles(t, s); len(files) != 0 {
		t.Fatalf("refused uploads left files: %v", files)
	}
	if r := s.Do(testserver.Request{Method: "GET", Path: "/api/auth/profile/", Bearer: pair.Access}); r.JSON(t)["profile_picture"] != nil {
		t.Fatalf("profile_picture set by refused uploads: %s", r.Body)
	}
}

func TestPictureExifDropped(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pair, _ := newUser(t, s, "photographer")
	in := withExif(t, jpegOf(t, 32, 32))
	if !bytes.Contains(in, []byte("Exif")) || !bytes.Contains(in, []byte("GPS-SECRET")) {
		t.Fatal("test image has no Exif block")
	}
	pic := uploaded(t, upload(s, pair.Access, "p.jpg", "image/jpeg", in), ".jpg")
	served := s.Do(testserver.Request{Method: "GET", Path: pic}).Body
	onDisk, err := os.ReadFile(filepath.Join(s.Dir, "data", "media", "profile_pictures", pictures.NameOf(pic)))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"served": served, "stored": onDisk} {
		if bytes.Contains(b, []byte("Exif")) || bytes.Contains(b, []byte("GPS-SECRET")) {
			t.Fatalf("%s copy still carries the Exif block", name)
		}
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			t.Fatalf("%s copy is not a JPEG: %v", name, err)
		}
	}
}

// TestPictureFileLifecycle: the old file goes when replaced, cleared (by
// DELETE or by a URL in JSON) and when the account is deleted; a PUT that
// sends back the unchanged path keeps it.
func TestPictureFileLifecycle(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pair, pw := newUser(t, s, "cycler")
	img := pngOf(t, 4, 4)
	profile := func(method string, body any) *testserver.Response {
		return s.Do(testserver.Request{Method: method, Path: "/api/auth/profile/", Bearer: pair.Access, JSON: body})
	}

	first := uploaded(t, upload(s, pair.Access, "a.png", "", img), ".png")
	second := uploaded(t, upload(s, pair.Access, "b.png", "", img), ".png")
	if first == second || storedExists(t, s, first) || !storedExists(t, s, second) {
		t.Fatalf("replace: first %q kept=%v, second %q", first, storedExists(t, s, first), second)
	}

	r := s.Do(testserver.Request{Method: "DELETE", Path: picturePath, Bearer: pair.Access})
	if r.Status != http.StatusOK || r.JSON(t)["profile_picture"] != nil || storedExists(t, s, second) {
		t.Fatalf("clear: %d %s, file kept=%v", r.Status, r.Body, storedExists(t, s, second))
	}

	third := uploaded(t, upload(s, pair.Access, "c.png", "", img), ".png")
	r = profile("PATCH", map[string]string{"profile_picture": "https://cdn.example.com/me.png"})
	if r.Status != http.StatusOK || r.Str(t, "profile_picture") != "https://cdn.example.com/me.png" || storedExists(t, s, third) {
		t.Fatalf("URL in JSON: %d %s, file kept=%v", r.Status, r.Body, storedExists(t, s, third))
	}

	fourth := uploaded(t, upload(s, pair.Access, "d.png", "", img), ".png")
	own := profile("GET", nil).JSON(t)
	own["bio"] = "round trip"
	r = profile("PUT", own)
	if r.Status != http.StatusOK || r.Str(t, "profile_picture") != fourth || !storedExists(t, s, fourth) {
		t.Fatalf("PUT of the unchanged path: %d %s, file kept=%v", r.Status, r.Body, storedExists(t, s, fourth))
	}
	r = profile("PATCH", map[string]string{"profile_picture": "/media/profile_pictures/" + strings.Repeat("0", 32) + ".png"})
	if r.Status != http.StatusBadRequest {
		t.Fatalf("pointing at another stored path: %d %s", r.Status, r.Body)
	}

	if r := profile("DELETE", map[string]string{"password": pw}); r.Status != http.StatusNoContent {
		t.Fatalf("delete account: %d %s", r.Status, r.Body)
	}
	if files := storedFiles(t, s); len(files) != 0 {
		t.Fatalf("files left after the account was deleted: %v", files)
	}
}

func TestMediaRefusesOtherPaths(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pair, _ := newUser(t, s, "media")
	pic := uploaded(t, upload(s, pair.Access, "a.png", "", pngOf(t, 2, 2)), ".png")
	name := pictures.NameOf(pic)
	for _, p := range []string{
		"/media/profile_pictures/",
		"/media/profile_pictures/" + strings.Repeat("a", 32) + ".png",
		"/media/profile_pictures/" + strings.TrimSuffix(name, ".png") + ".PNG",
		"/media/profile_pictures/..%2F..%2Fauth.db",
		"/media/profile_pictures/%2e%2e",
		"/media/auth.db",
		"/media/profile_pictures/" + name + "/x",
	} {
		r := s.Do(testserver.Request{Method: "GET", Path: p})
		if r.Status != http.StatusNotFound || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Errorf("GET %s: %d %q %s", p, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
	}
	if r := s.Do(testserver.Request{Method: "HEAD", Path: pic}); r.Status != http.StatusOK || len(r.Body) != 0 ||
		r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("HEAD %s: %d %v", pic, r.Status, r.Header)
	}
}
