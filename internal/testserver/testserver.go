// Package testserver starts the real service for tests: the full Gin engine
// behind a real loopback listener, on a real SQLite file in t.TempDir() (or,
// with AUTH_TEST_POSTGRES_URL set, a fresh PostgreSQL database), with
// a clock the test can move. It also has small client helpers so tests do not
// copy request plumbing.
package testserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"authsvc/accounts"
	"authsvc/app"
	"authsvc/config"
	"authsvc/middleware"
	"authsvc/passwords"
)

// FastHash are argon2id parameters cheap enough for tests. Tests that
// measure login timing use passwords.OWASP instead.
var FastHash = passwords.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Options tune New.
type Options struct {
	// Env overrides AUTH_* variables.
	Env map[string]string
	// Dir holds the database and data folder; empty: t.TempDir(). Reuse a
	// Dir to restart the service on the same data.
	Dir string
	// Clock; nil: a new Clock.
	Clock *Clock
	// HashParams; nil: FastHash.
	HashParams *passwords.Params
	// Log receives the service's logs; nil: discarded.
	Log io.Writer
	// AccountHooks hold account operations at their critical moment (see
	// accounts.Hooks), for race tests.
	AccountHooks accounts.Hooks
	// ManualKeyReload: no key poller; the test calls App.ReloadKeys.
	ManualKeyReload bool
}

// Server is a running service.
type Server struct {
	URL    string
	App    *app.App
	Clock  *Clock
	Dir    string
	Client *http.Client
	t      testing.TB
	srv    *httptest.Server
	api    *contract
	polls  *keyPolls // nil with ManualKeyReload
}

// Secret is the fixed HS256 secret tests sign with.
const Secret = "test-secret-test-secret-test-secret-0123456789"

// DatabaseURL is the AUTH_DATABASE_URL New uses for dir: the SQLite file
// auth.db in dir, or, with AUTH_TEST_POSTGRES_URL set, the PostgreSQL
// database keyed by dir (created if needed). Tests that run the binary or a
// command on a server's data use it instead of spelling out a SQLite path.
func DatabaseURL(t testing.TB, dir string) string {
	t.Helper()
	if pg := os.Getenv(PostgresEnv); pg != "" {
		return PostgresDatabase(t, pg, dir)
	}
	return "sqlite://" + filepath.Join(dir, "auth.db")
}

// New starts a server and stops it when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Clock == nil {
		o.Clock = NewClock()
	}
	if o.HashParams == nil {
		p := FastHash
		o.HashParams = &p
	}
	env := map[string]string{
		"AUTH_DATABASE_URL": DatabaseURL(t, o.Dir),
		"AUTH_DATA_DIR":     filepath.Join(o.Dir, "data"),
		"AUTH_SECRET_KEY":   Secret,
		"AUTH_THROTTLE":     "off",
	}
	for k, v := range o.Env {
		env[k] = v
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	w := o.Log
	if w == nil {
		w = io.Discard
	}
	// The same wrapping as main's logger, so request ids reach the lines.
	log := slog.New(middleware.ContextHandler{Handler: slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})})
	var polls *keyPolls
	var afterPoll func()
	if !o.ManualKeyReload {
		polls = &keyPolls{ch: make(chan struct{})}
		afterPoll = polls.done
	}
	a, err := app.New(context.Background(), cfg, app.Options{Log: log, Now: o.Clock.Now, HashParams: o.HashParams,
		AccountHooks: o.AccountHooks, ManualKeyReload: o.ManualKeyReload, AfterKeyPoll: afterPoll})
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	api, err := newContract()
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	hs := httptest.NewServer(a.Handler)
	s := &Server{URL: hs.URL, App: a, Clock: o.Clock, Dir: o.Dir, Client: hs.Client(), t: t, srv: hs, api: api, polls: polls}
	t.Cleanup(s.Close)
	return s
}

// keyPolls counts the key poller's finished polls; ch is closed and
// replaced at each one, so waiters wake without the poller ever blocking.
type keyPolls struct {
	mu sync.Mutex
	n  int
	ch chan struct{}
}

func (p *keyPolls) done() {
	p.mu.Lock()
	p.n++
	close(p.ch)
	p.ch = make(chan struct{})
	p.mu.Unlock()
}

// KeyPollFailsafe bounds AwaitKeyPolls. It is not a timing assumption (a
// poll is due every second): it only turns a poller that has stopped into a
// failure instead of a hung test, so it is generous enough for any busy
// machine.
const KeyPollFailsafe = 60 * time.Second

// AwaitKeyPolls returns once the key poller has finished n polls that all
// began after the call (the first poll to finish may have read the keys
// before it, so it does not count): anything committed before the call is
// then loaded. It needs the poller (not ManualKeyReload).
func (s *Server) AwaitKeyPolls(t testing.TB, n int) {
	t.Helper()
	if s.polls == nil {
		t.Fatal("AwaitKeyPolls: this server has no key poller (ManualKeyReload)")
	}
	s.polls.mu.Lock()
	want := s.polls.n + n + 1
	s.polls.mu.Unlock()
	failsafe := time.NewTimer(KeyPollFailsafe)
	defer failsafe.Stop()
	for {
		s.polls.mu.Lock()
		got, next := s.polls.n, s.polls.ch
		s.polls.mu.Unlock()
		if got >= want {
			return
		}
		select {
		case <-next:
		case <-failsafe.C:
			t.Fatalf("the key poller finished %d of %d polls in %s: is it running?", got-(want-n-1), n+1, KeyPollFailsafe)
		}
	}
}

// Close stops the server and closes the database (idempotent).
func (s *Server) Close() {
	if s.srv == nil {
		return
	}
	s.srv.Close()
	s.App.Close()
	s.srv = nil
}
