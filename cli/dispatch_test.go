package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestDispatch runs every command of the table in-process on a fresh
// database: each is reachable by its name, wrong usage exits 2 with the
// command's usage line, an unknown name exits 2 with the help, and the old
// name "keys" runs signing-keys after one warning line on stderr.
func TestDispatch(t *testing.T) {
	t.Parallel()
	const pw = "Sup3r-secret-phrase"
	eddsa := map[string]string{"AUTH_SIGNING_ALG": "EdDSA"}
	cases := []struct {
		name  string
		args  []string
		env   map[string]string // on top of dbEnv
		stdin string
		code  int
		// out, errOut and err must appear in stdout, stderr and the error;
		// "" means stdout or stderr must be empty, or no error.
		out, errOut, err string
	}{
		{name: "unknown command", args: []string{"frobnicate"}, code: 2,
			errOut: "authsvc: unknown command \"frobnicate\"\n\nusage: authsvc [command]"},
		{name: "version", args: []string{"version"}, out: "authsvc test\n"},
		{name: "help", args: []string{"help"}, out: "usage: authsvc [command]"},
		{name: "serve with arguments", args: []string{"serve", "extra"}, code: 2, errOut: "usage: authsvc [command]"},
		{name: "migrate", args: []string{"migrate"}, out: "schema is up to date\n"},
		{name: "backup usage", args: []string{"backup"}, code: 2, errOut: "usage: authsvc backup PATH\n"},
		{name: "backup", args: []string{"backup", "BACKUP"}, out: "backup written to "},
		{name: "signing-keys with HS256", args: []string{"signing-keys", "list"}, code: 1, err: "AUTH_SIGNING_ALG is HS256"},
		{name: "signing-keys list", args: []string{"signing-keys", "list"}, env: eddsa, out: "KID"},
		{name: "signing-keys usage", args: []string{"signing-keys", "spin"}, env: eddsa, code: 2,
			errOut: "usage: authsvc signing-keys list | rotate [--now] | retire KID"},
		{name: "keys alias", args: []string{"keys", "list"}, env: eddsa, out: "KID",
			errOut: "authsvc: \"keys\" is deprecated, use \"signing-keys\"\n"},
		{name: "keys alias usage", args: []string{"keys"}, env: eddsa, code: 2,
			errOut: "authsvc: \"keys\" is deprecated, use \"signing-keys\"\nusage: authsvc signing-keys"},
		{name: "createsuperuser usage", args: []string{"createsuperuser"}, code: 2,
			errOut: "usage: authsvc createsuperuser --username NAME [--email ADDR]\n"},
		{name: "createsuperuser", args: []string{"createsuperuser", "--username", "root"},
			env: map[string]string{PasswordEnv: pw}, out: "Superuser \"root\" created"},
		{name: "changepassword usage", args: []string{"changepassword"}, code: 2, errOut: "usage: authsvc changepassword NAME\n"},
		{name: "changepassword", args: []string{"changepassword", "ghost"}, stdin: pw + "\n", code: 1,
			errOut: "username: User not found.\n", err: "nothing was changed"},
		{name: "import-django usage", args: []string{"import-django"}, code: 2,
			errOut: "usage: authsvc import-django --from PATH_OR_DSN\n"},
		{name: "import-django", args: []string{"import-django", "--from", "MISSING"}, code: 1, err: "import-django: "},
	}
	reached := map[string]bool{}
	for _, tc := range cases {
		if c, _, ok := lookup(tc.args[0]); ok {
			reached[c.Name] = true
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := dbEnv(t, dir, tc.env)
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				args[i] = strings.NewReplacer("BACKUP", filepath.Join(dir, "copy.db"), "MISSING", filepath.Join(dir, "none.sqlite3")).Replace(a)
			}
			if tc.name == "backup" && strings.HasPrefix(env["AUTH_DATABASE_URL"], "postgres") {
				tc.code, tc.out, tc.err = 1, "", "pg_dump" // PostgreSQL has its own tools
			}
			r := run(context.Background(), env, tc.stdin, args...)
			check(t, r, tc.code, tc.out, tc.errOut, tc.err)
			if tc.name == "backup" && tc.code == 0 && !exists(args[1]) {
				t.Errorf("no backup at %s", args[1])
			}
			if tc.name == "import-django" && exists(args[2]) {
				t.Errorf("the import created its missing source %s", args[2])
			}
		})
	}
	for _, c := range Commands() {
		if !reached[c.Name] {
			t.Errorf("no case runs %q", c.Name)
		}
	}
}

// check compares a result with the wanted exit code and texts.
func check(t *testing.T, r result, code int, out, errOut, err string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d", r.code, code)
	}
	for _, s := range []struct{ name, got, want string }{{"stdout", r.stdout, out}, {"stderr", r.stderr, errOut}} {
		if (s.want == "" && s.got != "") || !strings.Contains(s.got, s.want) {
			t.Errorf("%s %q, want %q", s.name, s.got, s.want)
		}
	}
	switch {
	case err == "" && r.err != nil:
		t.Errorf("error %v", r.err)
	case err != "" && (r.err == nil || !strings.Contains(r.err.Error(), err)):
		t.Errorf("error %v, want one with %q", r.err, err)
	}
}

// TestKeysAliasWarnsOnce: the deprecated name writes exactly one line to
// stderr and the same stdout as the new name.
func TestKeysAliasWarnsOnce(t *testing.T) {
	t.Parallel()
	env := dbEnv(t, t.TempDir(), map[string]string{"AUTH_SIGNING_ALG": "ES256", "AUTH_KEY_PUBLISH_DELAY": "1h"})
	ctx := context.Background()
	rotated := run(ctx, env, "", "keys", "rotate")
	if rotated.code != 0 || strings.Count(rotated.stderr, "\n") != 1 || !strings.Contains(rotated.stderr, "signing-keys") {
		t.Fatalf("keys rotate: %d %v stderr %q", rotated.code, rotated.err, rotated.stderr)
	}
	old, current := run(ctx, env, "", "keys", "list"), run(ctx, env, "", "signing-keys", "list")
	if old.stdout != current.stdout || current.stderr != "" || strings.Count(old.stdout, "\n") != 3 {
		t.Fatalf("keys list %q (stderr %q), signing-keys list %q (stderr %q)", old.stdout, old.stderr, current.stdout, current.stderr)
	}
}
