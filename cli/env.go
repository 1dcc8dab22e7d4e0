package cli

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"os"

	"golang.org/x/term"

	"authsvc/app"
	"authsvc/config"
	"authsvc/middleware"
)

// setup loads the configuration and builds the logger on stderr: every
// command that is not Bare gets both here, the same way.
func (e *Env) setup() error {
	cfg, err := config.Load(e.Getenv)
	if err != nil {
		return err
	}
	e.cfg = cfg
	// Decided on stderr itself: serve's batching writer is never a terminal.
	e.logFormat = logFormat(cfg.LogFormat, isTerminal(e.Stderr))
	e.log = e.logger(e.Stderr)
	return nil
}

// logger is the configured level and format writing to w.
func (e *Env) logger(w io.Writer) *slog.Logger {
	return newLogger(w, e.cfg.LogLevel, e.logFormat)
}

// open builds the application on the configured database, logging to e.log:
// the one way every command reaches the database, so they all get the same
// store options, checks and migrations as the service.
func (e *Env) open(ctx context.Context) (*app.App, error) {
	return app.New(ctx, e.cfg, app.Options{Log: e.log})
}

// withApp opens the application, runs fn on it and closes it.
func (e *Env) withApp(ctx context.Context, fn func(*app.App) (int, error)) (int, error) {
	a, err := e.open(ctx)
	if err != nil {
		return 1, err
	}
	defer a.Close()
	return fn(a)
}

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

// redactDB hides a password in a database URL before it is logged.
func redactDB(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}
