package tokens_test

import (
	"os"
	"path/filepath"
	"testing"

	"authsvc/tokens"
)

func TestLoadOrCreateSecret(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	s1, created, err := tokens.LoadOrCreateSecret(dir)
	if err != nil || !created || len(s1) < 32 {
		t.Fatalf("first call: %d chars, created=%v, err=%v", len(s1), created, err)
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 {
		t.Fatalf("files in data folder: %v", files)
	}
	fi, err := os.Stat(filepath.Join(dir, files[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("secret file mode %o, want 600", mode)
	}
	s2, created, err := tokens.LoadOrCreateSecret(dir)
	if err != nil || created || s2 != s1 {
		t.Errorf("second call: same=%v created=%v err=%v", s2 == s1, created, err)
	}
	other, _, _ := tokens.LoadOrCreateSecret(t.TempDir())
	if other == s1 {
		t.Errorf("two folders got the same secret")
	}
}

func TestLoadOrCreateSecretRefusesShortFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret_key"), []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tokens.LoadOrCreateSecret(dir); err == nil {
		t.Errorf("a short secret file was accepted")
	}
}
