package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"authsvc/internal/testserver"
)

// result is what one Run returned and wrote.
type result struct {
	code           int
	err            error
	stdout, stderr string
}

// run calls Run in-process with env as the whole environment.
func run(ctx context.Context, env map[string]string, stdin string, args ...string) result {
	var out, errOut bytes.Buffer
	code, err := Run(ctx, args, Env{Getenv: func(k string) string { return env[k] },
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut, Version: "test"})
	return result{code, err, out.String(), errOut.String()}
}

// dbEnv is a working configuration on a fresh database in dir (PostgreSQL
// when AUTH_TEST_POSTGRES_URL is set), plus extra.
func dbEnv(t *testing.T, dir string, extra map[string]string) map[string]string {
	env := map[string]string{
		"AUTH_DATABASE_URL": testserver.DatabaseURL(t, dir),
		"AUTH_DATA_DIR":     filepath.Join(dir, "data"),
		"AUTH_SECRET_KEY":   testserver.Secret,
		"AUTH_LOG_LEVEL":    "error",
		"AUTH_THROTTLE":     "off",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func TestRunBadConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, value string }{
		{"AUTH_ACCESS_TTL", "forever"},
		{"AUTH_ACCESS_TTL", "0s"},
		{"AUTH_REFRESH_REUSE_GRACE", "-1s"},
	} {
		t.Run(c.name+"="+c.value, func(t *testing.T) {
			env := map[string]string{c.name: c.value, "AUTH_DATA_DIR": t.TempDir()}
			r := run(context.Background(), env, "")
			if r.code == 0 {
				t.Fatalf("exit code 0")
			}
			if r.err == nil || !strings.Contains(r.err.Error(), c.name) {
				t.Errorf("error %v does not name %s", r.err, c.name)
			}
		})
	}
}

// TestHelpListsEveryCommand: help (and its flag spellings) prints every
// command of the table with its arguments and summary, and the old names.
func TestHelpListsEveryCommand(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"help", "-h", "--help"} {
		// A bad configuration too: help must work when the environment is wrong.
		r := run(context.Background(), map[string]string{"AUTH_ACCESS_TTL": "forever"}, "", arg)
		if r.code != 0 || r.err != nil || r.stderr != "" {
			t.Fatalf("%s: code %d, err %v, stderr %q", arg, r.code, r.err, r.stderr)
		}
		for _, c := range Commands() {
			if !strings.Contains(r.stdout, "  "+c.synopsis()) || !strings.Contains(r.stdout, c.Summary) {
				t.Errorf("%s does not list %q: %s", arg, c.synopsis(), r.stdout)
			}
			for _, o := range c.OldNames {
				if !strings.Contains(r.stdout, o+" (now "+c.Name+")") {
					t.Errorf("%s does not list the old name %s", arg, o)
				}
			}
		}
	}
}

// TestServeRunsUntilCancelled: the default command serves, and stops
// cleanly (exit 0, last line "stopped") when its context ends.
func TestServeRunsUntilCancelled(t *testing.T) {
	t.Parallel()
	// GOGC set: serve leaves the test process's collector alone.
	env := dbEnv(t, t.TempDir(), map[string]string{"AUTH_ADDR": "127.0.0.1:0", "AUTH_LOG_LEVEL": "info", "GOGC": "100"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &watchWriter{want: `"msg":"authsvc listening"`, seen: make(chan struct{})}
	done := make(chan result, 1)
	go func() {
		code, err := Run(ctx, nil, Env{Getenv: func(k string) string { return env[k] },
			Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: log, Version: "test"})
		done <- result{code: code, err: err}
	}()
	select {
	case <-log.seen:
		cancel()
	case r := <-done:
		t.Fatalf("serve ended before listening: %d %v\n%s", r.code, r.err, log.String())
	}
	if r := <-done; r.code != 0 || r.err != nil {
		t.Fatalf("serve: code %d, err %v\n%s", r.code, r.err, log.String())
	}
	if !strings.Contains(log.String(), `"msg":"stopped"`) {
		t.Errorf("no stopped line:\n%s", log.String())
	}
}

// watchWriter keeps what is written and closes seen once want appears.
type watchWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, err
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// exists reports whether path is there.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
