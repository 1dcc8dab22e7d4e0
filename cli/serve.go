package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"authsvc/app"
	"authsvc/logbuf"
)

// serveGCPercent is the service's garbage collector target unless GOGC is
// set. Its heap is small and almost all short-lived, except that every
// password hash allocates 12 MiB (argon2id), so during a login flood the
// default (100) collects every few logins; 200 halves the collections (and
// their share of a token check) for about 25 MiB more peak memory.
const serveGCPercent = 200

// logFlushEvery bounds how late a served request's log line appears, and so
// how many lines a kill -9 (not a stop) can lose.
const logFlushEvery = 100 * time.Millisecond

// serve is the "serve" command: the HTTP service until SIGINT, SIGTERM or
// the end of ctx.
func serve(ctx context.Context, e *Env, args []string) (int, error) {
	if len(args) > 0 {
		writeHelp(e.Stderr)
		return 2, nil
	}
	// The service logs a line per request: batch them (see logbuf).
	// Closed before serve returns, so every line is out before the exit.
	lw := logbuf.New(e.Stderr, logFlushEvery)
	defer lw.Close()
	e.log = e.logger(lw)
	// Unless the operator set GOGC (or a memory limit, which the runtime
	// already honours with either setting).
	if e.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if err := listenAndServe(ctx, e); err != nil {
		return 1, err
	}
	return 0, nil
}

// listenAndServe runs the HTTP server until SIGINT or SIGTERM, then drains:
// the listener closes at once, in-flight requests get AUTH_SHUTDOWN_TIMEOUT
// to finish, and the database is closed last.
func listenAndServe(ctx context.Context, e *Env) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	a, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()

	cfg, log := e.cfg, e.log
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
	log.Info("authsvc listening", "addr", ln.Addr().String(), "database", redactDB(cfg.DatabaseURL), "version", e.Version)

	defer runCleanup(a)()

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

// runCleanup starts the background cleanup job and returns the function
// that stops it and waits: deferred after the app's Close, so the job stops
// (and logs its last line) before the database and the log close.
func runCleanup(a *app.App) (stop func()) {
	jobs, stopJobs := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Cleanup.Run(jobs) }()
	return func() { stopJobs(); <-done }
}
