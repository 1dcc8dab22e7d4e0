package handlers_test

import (
	"bytes"
	"image"
	"image/jpeg"
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
