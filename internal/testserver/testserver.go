// Package testserver starts the real service for tests: the full Gin engine
// behind a real loopback listener, on a real SQLite file in t.TempDir() (or,
// with AUTH_TEST_POSTGRES_URL set, a fresh PostgreSQL database), with
// a clock the test can move. It also has small client helpers so tests do not
// copy request plumbing.
package testserver

import (
	"bytes"
	"context"
	"encoding/json"
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

// Response is a finished request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map (failing the test if it is not JSON).
func (r *Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %q", err, r.Body)
	}
	return m
}

// Str returns a string field of the JSON body.
func (r *Response) Str(t testing.TB, key string) string {
	t.Helper()
	v, _ := r.JSON(t)[key].(string)
	return v
}

// Request describes one call.
type Request struct {
	Method, Path string
	// JSON is marshalled as the body unless Body is set.
	JSON        any
	Body        io.Reader
	ContentType string
	Bearer      string
	Header      map[string]string
	// Values adds every value of each header in order (a header sent more
	// than once).
	Values map[string][]string
	// Token sends "Authorization: Token <key>" (an API key).
	Token string
	// NoContract skips the OpenAPI check of the answer; only for requests
	// deliberately outside the contract. CORS preflights are skipped
	// without it.
	NoContract bool
}

// Do sends r and reads the whole answer.
func (s *Server) Do(r Request) *Response {
	s.t.Helper()
	var body io.Reader = r.Body
	ct := r.ContentType
	if body == nil && r.JSON != nil {
		b, err := json.Marshal(r.JSON)
		if err != nil {
			s.t.Fatalf("marshal: %v", err)
		}
		body = bytes.NewReader(b)
		if ct == "" {
			ct = "application/json"
		}
	}
	req, err := http.NewRequest(r.Method, s.URL+r.Path, body)
	if err != nil {
		s.t.Fatalf("request: %v", err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if r.Bearer != "" {
		req.Header.Set("Authorization", "Bearer "+r.Bearer)
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Token "+r.Token)
	}
	for k, v := range r.Header {
		if http.CanonicalHeaderKey(k) == "Host" {
			req.Host = v // net/http sends req.Host, never a Host header field
			continue
		}
		req.Header.Set(k, v)
	}
	for k, vs := range r.Values {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("read body: %v", err)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if !r.NoContract {
		if err := s.api.check(req, out); err != nil {
			s.t.Errorf("%s %s: answer %d does not match openapi.json: %v\nbody: %.500s", r.Method, r.Path, out.Status, err, b)
		}
	}
	return out
}

// Post sends a JSON body.
func (s *Server) Post(path string, body any) *Response {
	s.t.Helper()
	return s.Do(Request{Method: http.MethodPost, Path: path, JSON: body})
}

// Pair is a login or refresh answer.
type Pair struct{ Access, Refresh string }

// Register creates a user and fails the test if that does not answer 201.
func (s *Server) Register(username, password string) map[string]any {
	s.t.Helper()
	r := s.Post("/api/auth/register/", map[string]string{"username": username, "password": password})
	if r.Status != http.StatusCreated {
		s.t.Fatalf("register %s: %d %s", username, r.Status, r.Body)
	}
	return r.JSON(s.t)
}

// Login logs in and fails the test unless it answers 200 with a pair.
func (s *Server) Login(username, password string) Pair {
	s.t.Helper()
	r := s.Post("/api/auth/token/", map[string]string{"username": username, "password": password})
	if r.Status != http.StatusOK {
		s.t.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	p := Pair{Access: r.Str(s.t, "access"), Refresh: r.Str(s.t, "refresh")}
	if p.Access == "" || p.Refresh == "" {
		s.t.Fatalf("login %s: no tokens in %s", username, r.Body)
	}
	return p
}

// NewUser registers a user with a unique name and logs in.
func (s *Server) NewUser(name string) (Pair, string) {
	s.t.Helper()
	// Unrelated to the name, so the similarity rule never refuses it.
	const pw = "correct-Horse-battery-9"
	s.Register(name, pw)
	return s.Login(name, pw), pw
}
