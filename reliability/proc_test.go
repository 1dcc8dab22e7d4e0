package reliability

import (
	"authsvc/internal/testserver"
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is the authsvc binary built once for the package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "authsvc-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "authsvc")
	build := exec.Command("go", "build", "-o", binary, "authsvc")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build authsvc:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// proc is one running server process.
type proc struct {
	t    testing.TB
	cmd  *exec.Cmd
	addr string
	URL  string
	logs *testserver.LogBuffer
	done chan struct{}
	err  error
}

// start runs the binary with env on a fresh port and waits until /healthz
// answers (bounded by a deadline, polling the port rather than sleeping a
// fixed time).
func start(t testing.TB, env map[string]string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, addr: freeAddr(t), logs: &testserver.LogBuffer{}, done: make(chan struct{})}
	p.URL = "http://" + p.addr
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = append(os.Environ(), "AUTH_ADDR="+p.addr)
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("server exited during start: %v\n%s", p.err, p.logs)
		default:
		}
		if r, err := http.Get(p.URL + "/healthz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become healthy:\n%s", p.logs)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a timing assumption
	}
}

// kill sends SIGKILL and waits.
func (p *proc) kill() {
	if p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// exitCode waits up to d for the process to end and returns its code.
func (p *proc) exitCode(d time.Duration) (int, bool) {
	select {
	case <-p.done:
		if p.err == nil {
			return 0, true
		}
		if ee, ok := p.err.(*exec.ExitError); ok {
			return ee.ExitCode(), true
		}
		return -1, true
	case <-time.After(d):
		return 0, false
	}
}

// client is a keep-alive HTTP client with a bounded timeout.
var client = &http.Client{Timeout: 30 * time.Second}

type answer struct {
	status int
	body   map[string]any
	header http.Header
}

func callWith(c *http.Client, method, url string, body any) (answer, error) {
	return do(c, method, url, "", body)
}

func call(method, url, bearer string, body any) (answer, error) {
	return do(client, method, url, bearer, body)
}

func do(c *http.Client, method, url, bearer string, body any) (answer, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return answer{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, header: resp.Header}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			return a, fmt.Errorf("%s %s: status %d, body not JSON: %q", method, url, resp.StatusCode, raw)
		}
	}
	return a, nil
}

func str(a answer, key string) string {
	s, _ := a.body[key].(string)
	return s
}

// logsClean fails the test if a secret-looking value reached the log.
func logsClean(t testing.TB, logs string, secrets ...string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		for _, s := range secrets {
			if s != "" && strings.Contains(sc.Text(), s) {
				t.Fatalf("log line contains a secret: %s", sc.Text())
			}
		}
	}
}
