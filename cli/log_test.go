package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"authsvc/config"
	"authsvc/middleware"
)

// TestLogFormat covers AUTH_LOG_FORMAT from the variable to the bytes of a
// line, with the terminal answer injected (no real TTY needed).
func TestLogFormat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		value    string // AUTH_LOG_FORMAT
		terminal bool
		want     string // "json", "text", or "" for a config error
	}{
		{"auto on a terminal", "", true, "text"},
		{"auto on a pipe", "", false, "json"},
		{"explicit auto on a pipe", "auto", false, "json"},
		{"json on a terminal", "json", true, "json"},
		{"json on a pipe", "json", false, "json"},
		{"text on a pipe", "text", false, "text"},
		{"text on a terminal", "TEXT", true, "text"},
		{"invalid", "pretty", true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Load(func(k string) string {
				if k == "AUTH_LOG_FORMAT" {
					return c.value
				}
				return ""
			})
			if c.want == "" {
				if err == nil || !strings.Contains(err.Error(), "AUTH_LOG_FORMAT") {
					t.Fatalf("error %v does not name AUTH_LOG_FORMAT", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			format := logFormat(cfg.LogFormat, c.terminal)
			if format != c.want {
				t.Fatalf("format %q, want %q", format, c.want)
			}
			var buf bytes.Buffer
			log := newLogger(&buf, cfg.LogLevel, format)
			if _, ok := log.Handler().(middleware.ContextHandler); !ok {
				t.Errorf("handler %T is not wrapped in middleware.ContextHandler (request ids would be lost)", log.Handler())
			}
			log.Debug("below the level")
			log.Info("authsvc listening", "database", redactDB("postgres://app:s3cret-pw@db/auth"))
			line := buf.String()
			if strings.Count(line, "\n") != 1 {
				t.Fatalf("want one line at level info, got %q", line)
			}
			if strings.Contains(line, "s3cret-pw") {
				t.Errorf("password in the log line: %q", line)
			}
			var m map[string]any
			isJSON := json.Unmarshal([]byte(line), &m) == nil
			switch format {
			case "json":
				if !isJSON || m["msg"] != "authsvc listening" || m["level"] != "INFO" {
					t.Errorf("not a JSON line: %q", line)
				}
			case "text":
				if isJSON || !strings.Contains(line, `level=INFO msg="authsvc listening" database=`) {
					t.Errorf("not a text line: %q", line)
				}
			}
		})
	}
}

// TestRunBadLogFormat: an invalid value stops the program at start.
func TestRunBadLogFormat(t *testing.T) {
	t.Parallel()
	env := map[string]string{"AUTH_LOG_FORMAT": "pretty", "AUTH_DATA_DIR": t.TempDir()}
	r := run(context.Background(), env, "")
	if r.code == 0 || r.err == nil || !strings.Contains(r.err.Error(), "AUTH_LOG_FORMAT") {
		t.Errorf("code %d, error %v", r.code, r.err)
	}
}

// TestIsTerminalNotForPipes: what the tests and a log collector give the
// binary (a buffer, a pipe) is not a terminal, so auto means JSON there.
func TestIsTerminalNotForPipes(t *testing.T) {
	t.Parallel()
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if isTerminal(w) {
		t.Error("a pipe is a terminal")
	}
}
