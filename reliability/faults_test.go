package reliability

import (
	"database/sql"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"authsvc/models"
)

// mountTmpfs mounts a small tmpfs at a new folder (root only) and unmounts it
// when the test ends.
func mountTmpfs(t *testing.T, opts string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs; skipped")
	}
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs here (%v: %s); skipped", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file until the filesystem is full and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 16<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				// Sync what fits; the rest of the last chunk is lost.
				_ = f.Sync()
				return path
			}
			t.Fatal(err)
		}
	}
}

func integrityOK(t *testing.T, dbPath string) {
	t.Helper()
	db, err := sql.Open("sqlite3", models.SQLiteURI(dbPath, "mode=ro"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatal(err)
	}
	if res != "ok" {
		t.Fatalf("integrity_check: %s", res)
	}
}

// TestDiskFull puts the database on a tiny tmpfs and fills it: writes answer
// 503 JSON with Retry-After, reads keep working, and service resumes once
// space is freed, with the file intact.
func TestDiskFull(t *testing.T) {
	mnt := mountTmpfs(t, "size=4m,mode=0700")
	db := filepath.Join(mnt, "auth.db")
	p := start(t, map[string]string{
		"AUTH_DATA_DIR": filepath.Join(mnt, "data"), "AUTH_DATABASE_URL": "sqlite://" + db,
		"AUTH_THROTTLE": "off",
	})
	creds := map[string]string{"username": "before", "password": "correct-Horse-battery-9"}
	if a, err := call(http.MethodPost, p.URL+"/api/auth/register/", "", creds); err != nil || a.status != http.StatusCreated {
		t.Fatalf("register: %v %+v", err, a)
	}
	login, err := call(http.MethodPost, p.URL+"/api/auth/token/", "", creds)
	if err != nil || login.status != http.StatusOK {
		t.Fatalf("login: %v %+v", err, login)
	}
	access := str(login, "access")

	filler := fill(t, mnt)

	// Writes: registration and login both need to write a row.
	for _, tc := range []struct {
		path string
		body map[string]string
	}{
		{"/api/auth/register/", map[string]string{"username": "during", "password": "correct-Horse-battery-9"}},
		{"/api/auth/token/", creds},
	} {
		a, err := call(http.MethodPost, p.URL+tc.path, "", tc.body)
		if err != nil {
			t.Fatalf("%s with a full disk: %v", tc.path, err)
		}
		if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" || str(a, "code") != "service_unavailable" {
			t.Fatalf("%s with a full disk: %d %v (Retry-After %q), want 503 service_unavailable with Retry-After",
				tc.path, a.status, a.body, a.header.Get("Retry-After"))
		}
	}
	// Reads keep working.
	if a, err := call(http.MethodGet, p.URL+"/api/auth/profile/", access, nil); err != nil || a.status != http.StatusOK {
		t.Fatalf("profile with a full disk: %v %+v", err, a)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	after := map[string]string{"username": "after", "password": "correct-Horse-battery-9"}
	if a, err := call(http.MethodPost, p.URL+"/api/auth/register/", "", after); err != nil || a.status != http.StatusCreated {
		t.Fatalf("register after freeing space: %v %+v", err, a)
	}
	if a, err := call(http.MethodPost, p.URL+"/api/auth/token/", "", after); err != nil || a.status != http.StatusOK {
		t.Fatalf("login after freeing space: %v %+v", err, a)
	}
	if strings.Contains(p.logs.String(), `"status":500`) {
		t.Errorf("a request answered 500:\n%s", p.logs)
	}
	p.kill()
	integrityOK(t, db)
}

// TestReadOnlyDataFolder starts the service on a read-only data folder: it
// must stop at once with a clear error line and a non-zero exit.
func TestReadOnlyDataFolder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"generated secret", map[string]string{}},
		{"secret from env", map[string]string{"AUTH_SECRET_KEY": strings.Repeat("s", 40)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mnt := mountTmpfs(t, "size=1m,ro")
			cmd := exec.Command(binary)
			cmd.Env = append(os.Environ(), "AUTH_ADDR="+freeAddr(t), "AUTH_DATA_DIR="+filepath.Join(mnt, "data"),
				"AUTH_DATABASE_URL=sqlite://"+filepath.Join(mnt, "auth.db"))
			for k, v := range tc.env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			done := make(chan struct{})
			var out []byte
			var err error
			go func() { out, err = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("service kept running on a read-only data folder")
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Fatalf("exit: %v, want a non-zero exit\n%s", err, out)
			}
			last := strings.TrimSpace(string(out))
			if i := strings.LastIndexByte(last, '\n'); i >= 0 {
				last = last[i+1:]
			}
			if !strings.HasPrefix(last, "authsvc: ") || !strings.Contains(last, "read-only file system") {
				t.Fatalf("last line %q should be one clear error naming the read-only file system\n%s", last, out)
			}
		})
	}
}
