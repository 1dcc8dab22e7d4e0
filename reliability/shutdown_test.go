package reliability

import (
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestGracefulShutdownUnderLoad sends SIGTERM while logins (each an argon2id
// hash, queued on the CPU-bounded pool) are in flight: every one of them must
// complete with 200, new connections must be refused, and the process must
// exit 0 within the drain timeout.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := start(t, map[string]string{
		"AUTH_DATA_DIR": dir, "AUTH_DATABASE_URL": "sqlite://" + dir + "/auth.db",
		"AUTH_SHUTDOWN_TIMEOUT": "20s", "AUTH_THROTTLE": "off",
	})
	creds := map[string]string{"username": "drain", "password": "correct-Horse-battery-9"}
	if a, err := call(http.MethodPost, p.URL+"/api/auth/register/", "", creds); err != nil || a.status != http.StatusCreated {
		t.Fatalf("register: %v %+v", err, a)
	}

	const n = 24
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	errs := make(chan error, n)
	first := make(chan struct{})
	var once sync.Once
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each request on its own connection, so in-flight work is
			// spread over many connections that Shutdown must drain.
			c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			a, err := callWith(c, http.MethodPost, p.URL+"/api/auth/token/", creds)
			once.Do(func() { close(first) })
			if err != nil {
				errs <- err
				return
			}
			statuses <- a.status
		}()
	}
	// The first answer means the rest are queued behind the hashing pool
	// or being hashed: that is "in flight".
	<-first
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused once the listener is closed, while the
	// process is still draining (or already gone).
	refused := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err != nil {
			refused = true
			break
		}
		c.Close()
		time.Sleep(5 * time.Millisecond) // poll interval
	}
	if !refused {
		t.Error("new connections were still accepted 10s after SIGTERM")
	}
	wg.Wait()
	close(statuses)
	close(errs)
	for err := range errs {
		t.Errorf("in-flight request failed: %v", err)
	}
	ok := 0
	for s := range statuses {
		if s != http.StatusOK {
			t.Errorf("in-flight login answered %d, want 200", s)
		}
		ok++
	}
	code, exited := p.exitCode(25 * time.Second)
	if !exited {
		t.Fatalf("process still running 25s after SIGTERM\n%s", p.logs)
	}
	if code != 0 {
		t.Fatalf("exit code %d, want 0\n%s", code, p.logs)
	}
	t.Logf("%d in-flight logins completed during shutdown", ok)
}
