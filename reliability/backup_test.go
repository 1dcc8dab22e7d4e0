package reliability

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// TestBackupUnderLoad runs `authsvc backup` against the database of a
// server that is busy registering users, then starts a server on the backup
// and finds every user whose registration was acknowledged before the backup
// began.
func TestBackupUnderLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbURL := "sqlite://" + filepath.Join(dir, "auth.db")
	p := start(t, map[string]string{"AUTH_DATA_DIR": filepath.Join(dir, "data"), "AUTH_DATABASE_URL": dbURL, "AUTH_THROTTLE": "off"})
	const password = "correct-Horse-battery-9"

	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	reached := make(chan struct{}) // closed at the 20th acknowledgement
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("u%d_%d", w, i)
				a, err := call(http.MethodPost, p.URL+"/api/auth/register/", "", map[string]string{"username": name, "password": password})
				if err != nil || a.status != http.StatusCreated {
					t.Errorf("register %s under load: %v %+v", name, err, a)
					return
				}
				mu.Lock()
				acked = append(acked, name)
				if len(acked) == 20 {
					once.Do(func() { close(reached) })
				}
				mu.Unlock()
			}
		}(w)
	}
	// Let some registrations land first.
	select {
	case <-reached:
	case <-p.done:
		t.Fatal("server died")
	}
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()

	backup := filepath.Join(t.TempDir(), "backup.db")
	cmd := exec.Command(binary, "backup", backup)
	cmd.Env = append(os.Environ(), "AUTH_DATA_DIR="+filepath.Join(dir, "data"), "AUTH_DATABASE_URL="+dbURL)
	out, err := cmd.CombinedOutput()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("authsvc backup: %v\n%s", err, out)
	}
	integrityOK(t, backup)

	// A second backup to the same path must refuse rather than overwrite.
	again := exec.Command(binary, "backup", backup)
	again.Env = cmd.Env
	if out, err := again.CombinedOutput(); err == nil {
		t.Fatalf("backup over an existing file succeeded:\n%s", out)
	}

	// Restore: a server on the backup file (same data folder for the secret).
	r := start(t, map[string]string{"AUTH_DATA_DIR": filepath.Join(dir, "data"), "AUTH_DATABASE_URL": "sqlite://" + backup, "AUTH_THROTTLE": "off"})
	for _, name := range before {
		a, err := call(http.MethodPost, r.URL+"/api/auth/token/", "", map[string]string{"username": name, "password": password})
		if err != nil || a.status != http.StatusOK {
			t.Fatalf("user %s acknowledged before the backup cannot log in on the restored copy: %v %+v", name, err, a)
		}
	}
	t.Logf("%d users acknowledged before the backup all present in it", len(before))
}
