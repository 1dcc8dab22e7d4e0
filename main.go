// Command authsvc is a JWT access/refresh token service: register, log in,
// refresh with rotation and reuse detection, sessions, and the management
// commands an operator needs. Run "authsvc help" for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"authsvc/app"
	"authsvc/config"
	"authsvc/djangoimport"
	"authsvc/logbuf"
	"authsvc/manage"
	"authsvc/middleware"

	"golang.org/x/term"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	code, err := run(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "authsvc:", err)
	}
	os.Exit(code)
}

const usage = `usage: authsvc [command]

commands:
  serve      run the HTTP service (the default)
  migrate    create or upgrade the database schema, then exit
  backup PATH  write a consistent copy of the SQLite database to PATH (safe while serving)
  import-django --from PATH_OR_DSN   import users from a Django auth_user table
  keys       list|rotate [--now]|retire KID: the asymmetric signing keys
` + manage.Usage + `  version    print the version
  help       show this text

Configuration comes from AUTH_* environment variables; see README.md.
`

// run dispatches the command and returns the exit code.
func run(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0, nil
	case "version":
		fmt.Fprintln(stdout, "authsvc", version)
		return 0, nil
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return 1, err
	}
	// Decided on stderr itself: the batching writer below is never a terminal.
	format := logFormat(cfg.LogFormat, isTerminal(stderr))
	log := newLogger(stderr, cfg.LogLevel, format)
	switch cmd {
	case "serve":
		if len(args) > 0 {
			fmt.Fprint(stderr, usage)
			return 2, nil
		}
		// The service logs a line per request: batch them (see logbuf).
		// Closed before run returns, so every line is out before the exit.
		lw := logbuf.New(stderr, logFlushEvery)
		defer lw.Close()
		tuneGC(getenv)
		if err := serve(cfg, newLogger(lw, cfg.LogLevel, format)); err != nil {
			return 1, err
		}
		return 0, nil
	case "createsuperuser", "changepassword":
		env := manage.Env{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr,
			Open: func(ctx context.Context) (*app.App, error) { return app.New(ctx, cfg, app.Options{Log: log}) }}
		if cmd == "changepassword" {
			return manage.ChangePassword(context.Background(), args, env)
		}
		return manage.CreateSuperuser(context.Background(), args, env)
	case "migrate":
		a, err := app.New(context.Background(), cfg, app.Options{Log: log})
		if err != nil {
			return 1, err
		}
		defer a.Close()
		fmt.Fprintln(stdout, "schema is up to date")
		return 0, nil
	case "backup":
		if len(args) != 1 {
			fmt.Fprint(stderr, "usage: authsvc backup PATH\n")
			return 2, nil
		}
		a, err := app.New(context.Background(), cfg, app.Options{Log: log})
		if err != nil {
			return 1, err
		}
		defer a.Close()
		if err := a.Store.Backup(context.Background(), args[0]); err != nil {
			return 1, err
		}
		fmt.Fprintln(stdout, "backup written to", args[0])
		return 0, nil
	case "import-django":
		return djangoimport.Main(context.Background(), cfg, args, stdout, stderr)
	}
	if cmd == "keys" {
		return keysCommand(cfg, log, args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "authsvc: unknown command %q\n\n%s", cmd, usage)
	return 2, nil
}

// serveGCPercent is the service's garbage collector target unless GOGC is
// set. Its heap is small and almost all short-lived, except that every
// password hash allocates 12 MiB (argon2id), so during a login flood the
// default (100) collects every few logins; 200 halves the collections (and
// their share of a token check) for about 25 MiB more peak memory.
const serveGCPercent = 200

// tuneGC applies serveGCPercent unless the operator set GOGC (or a memory
// limit, which the runtime already honours with either setting).
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}

// logFlushEvery bounds how late a served request's log line appears, and so
// how many lines a kill -9 (not a stop) can lose.
const logFlushEvery = 100 * time.Millisecond

// logFormat resolves AUTH_LOG_FORMAT (already validated: auto, json or
// text). auto writes text for a person at a terminal (`go run .`) and JSON
// for everything else: a log collector, a pipe, a file, the tests.
func logFormat(setting string, terminal bool) string {
	if setting == "auto" {
		if terminal {
			return "text"
		}
		return "json"
	}
	return setting
}

// isTerminal reports whether w is a file open on a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newLogger writes format ("text" or "json") to w at level; every line
// logged with a request's context carries its request_id in either format.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: l}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if format == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(middleware.ContextHandler{Handler: h})
}

// serve runs the HTTP server until SIGINT or SIGTERM, then drains: the
// listener closes at once, in-flight requests get AUTH_SHUTDOWN_TIMEOUT to
// finish, and the database is closed last.
func serve(cfg config.Config, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	a, err := app.New(ctx, cfg, app.Options{Log: log})
	if err != nil {
		return err
	}
	defer a.Close()

	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           a.Handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	log.Info("authsvc listening", "addr", ln.Addr().String(), "database", redactDB(cfg.DatabaseURL), "version", version)

	// The cleanup job stops (and logs its last line) before the database
	// and the log close.
	jobs, stopJobs := context.WithCancel(context.Background())
	jobsDone := make(chan struct{})
	defer func() { stopJobs(); <-jobsDone }()
	go func() { defer close(jobsDone); a.Cleanup.Run(jobs) }()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stop()
	log.Info("shutting down", "timeout", cfg.ShutdownWait.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownWait)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// redactDB hides a password in a database URL before it is logged.
func redactDB(raw string) string {
	u, err := urlParse(raw)
	if err != nil {
		return "(unparseable)"
	}
	return u
}
