package handlers_test

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"authsvc/internal/testserver"
	"authsvc/pictures"
)

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
