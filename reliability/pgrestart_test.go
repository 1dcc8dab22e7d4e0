package reliability

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pgCluster runs pg_ctlcluster on this machine's cluster.
func pgCluster(t *testing.T, action string) {
	t.Helper()
	out, err := exec.Command("sh", "-c",
		"pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n1) main "+action+" -m fast").CombinedOutput()
	if err != nil && !strings.Contains(string(out), "already") {
		t.Fatalf("pg_ctlcluster %s: %v\n%s", action, err, out)
	}
}

func waitStatus(t *testing.T, url string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		a, err := call(http.MethodGet, url, "", nil)
		if err == nil && a.status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer %d within %s (last: %d %v %v)", url, want, within, a.status, a.body, err)
		}
		time.Sleep(50 * time.Millisecond) // poll interval
	}
}

// TestPostgresRestartUnderLoad stops the machine's PostgreSQL while requests
// run, then starts it again: /readyz turns 503 and back, requests fail with
// 503 JSON and never hang past the request timeout, and the service recovers
// without a restart. It stops a shared server, so it runs only when
// AUTH_TEST_PG_RESTART=1 (scripts/ci/reliability.sh sets it, and runs it
// alone).
func TestPostgresRestartUnderLoad(t *testing.T) {
	if os.Getenv("AUTH_TEST_PG_RESTART") != "1" {
		t.Skip("set AUTH_TEST_PG_RESTART=1 to stop and restart the local PostgreSQL")
	}
	dbURL := postgresDatabase(t)
	t.Cleanup(func() { pgCluster(t, "start") }) // never leave it down
	const timeout = 3 * time.Second
	p := start(t, map[string]string{
		"AUTH_DATA_DIR": t.TempDir(), "AUTH_DATABASE_URL": dbURL,
		"AUTH_THROTTLE": "off", "AUTH_REQUEST_TIMEOUT": timeout.String(),
	})
	creds := map[string]string{"username": "pgrestart", "password": "correct-Horse-battery-9"}
	if a, err := call(http.MethodPost, p.URL+"/api/auth/register/", "", creds); err != nil || a.status != http.StatusCreated {
		t.Fatalf("register: %v %+v", err, a)
	}
	login, err := call(http.MethodPost, p.URL+"/api/auth/token/", "", creds)
	if err != nil || login.status != http.StatusOK {
		t.Fatalf("login: %v %+v", err, login)
	}
	load := startProfileLoad(t, p.URL+"/api/auth/profile/", str(login, "access"), timeout)

	pgCluster(t, "stop")
	waitStatus(t, p.URL+"/readyz", http.StatusServiceUnavailable, 10*time.Second)
	// Let the load meet the outage: wait for some 503s.
	waitCount(&load.unavailable, load.unavailable.Load()+5, 10*time.Second)
	pgCluster(t, "start")
	waitStatus(t, p.URL+"/readyz", http.StatusOK, 30*time.Second)
	before := load.ok.Load()
	waitCount(&load.ok, before+5, 15*time.Second)
	load.halt()
	if load.ok.Load() < before+5 {
		t.Fatalf("requests did not recover after PostgreSQL came back (ok=%d)", load.ok.Load())
	}
	if load.unavailable.Load() == 0 {
		t.Fatal("no request saw the outage")
	}
	// A write works again too.
	if a, err := call(http.MethodPost, p.URL+"/api/auth/token/", "", creds); err != nil || a.status != http.StatusOK {
		t.Fatalf("login after recovery: %v %+v", err, a)
	}
	t.Logf("ok=%d unavailable=%d", load.ok.Load(), load.unavailable.Load())
}

// profileLoad is four workers reading one profile until halted, counting
// the answers that are right during an outage: 200, or 503 JSON with
// Retry-After.
type profileLoad struct {
	ok, unavailable atomic.Int64
	stop            chan struct{}
	wg              sync.WaitGroup
}

// startProfileLoad starts the workers on url with the bearer token access;
// a request that takes well past timeout (the service's request timeout)
// is an error.
func startProfileLoad(t *testing.T, url, access string, timeout time.Duration) *profileLoad {
	l := &profileLoad{stop: make(chan struct{})}
	for i := 0; i < 4; i++ {
		l.wg.Add(1)
		go l.work(t, url, access, timeout)
	}
	return l
}

func (l *profileLoad) work(t *testing.T, url, access string, timeout time.Duration) {
	defer l.wg.Done()
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		began := time.Now()
		a, err := call(http.MethodGet, url, access, nil)
		took := time.Since(began)
		if err != nil {
			t.Errorf("profile request failed at the HTTP level: %v", err)
			return
		}
		if took > timeout+2*time.Second {
			t.Errorf("a request took %s, past the %s request timeout", took, timeout)
		}
		switch {
		case a.status == http.StatusOK:
			l.ok.Add(1)
		case a.status == http.StatusServiceUnavailable && str(a, "code") == "service_unavailable" && a.header.Get("Retry-After") != "":
			l.unavailable.Add(1)
		default:
			t.Errorf("profile answered %d %v during the outage, want 200 or 503 JSON with Retry-After", a.status, a.body)
		}
	}
}

// halt stops the workers and waits for them.
func (l *profileLoad) halt() {
	close(l.stop)
	l.wg.Wait()
}

// waitCount polls c until it reaches atLeast or within has passed.
func waitCount(c *atomic.Int64, atLeast int64, within time.Duration) {
	for deadline := time.Now().Add(within); c.Load() < atLeast && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}
