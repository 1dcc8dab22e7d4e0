package cli_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

// binary builds the real authsvc into a temporary folder.
func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "authsvc")
	out, err := exec.Command("go", "build", "-o", bin, "authsvc").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cli runs the binary against the database in dir, the way testserver lays
// it out, so a service started with testserver.Options{Dir: dir} sees it.
type cli struct {
	bin, dir, db string
}

func (c cli) run(t *testing.T, stdin string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"AUTH_DATABASE_URL=" + c.db,
		"AUTH_DATA_DIR=" + filepath.Join(c.dir, "data"),
		"AUTH_SECRET_KEY=" + testserver.Secret,
		"AUTH_LOG_LEVEL=error",
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// A pipe, never a terminal: the one-line path of the password prompt.
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run %v: %v", args, err)
	}
	return code, o.String(), e.String()
}

func TestManagementCommands(t *testing.T) {
	dir := t.TempDir()
	c := cli{bin: binary(t), dir: dir, db: testserver.DatabaseURL(t, dir)}
	const pw = "Sup3r-secret-phrase"

	t.Run("usage", func(t *testing.T) { checkUsage(t, c) })

	t.Run("weak password refused", func(t *testing.T) {
		code, _, stderr := c.run(t, "", map[string]string{"AUTH_SUPERUSER_PASSWORD": "12345678"}, "createsuperuser", "--username", "weak")
		if code != 1 || !strings.Contains(stderr, "password: This password is entirely numeric.") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		if code, _, stderr := c.run(t, "", nil, "createsuperuser", "--username", "nopw"); code != 1 || !strings.Contains(stderr, "AUTH_SUPERUSER_PASSWORD") {
			t.Fatalf("no password: exit %d, stderr %q", code, stderr)
		}
	})

	createSuperusers(t, c, pw)

	// The service started on the same database: the new superuser is staff.
	s := testserver.New(t, testserver.Options{Dir: c.dir})
	root := s.Login("root", pw)
	r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/admin/users/?search=root", Bearer: root.Access})
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"is_staff":true`) || !strings.Contains(string(r.Body), `"is_superuser":true`) {
		t.Fatalf("admin list as the new superuser: %d %s", r.Status, r.Body)
	}
	piped := s.Login("piped", "Pip3d-in-password")
	pair, userPW := s.NewUser("someone")
	var someoneID float64
	r = s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/admin/users/?search=someone", Bearer: piped.Access})
	if res, _ := r.JSON(t)["results"].([]any); r.Status != http.StatusOK || len(res) != 1 {
		t.Fatalf("admin list as the piped superuser: %d %s", r.Status, r.Body)
	} else {
		someoneID, _ = res[0].(map[string]any)["id"].(float64)
	}
	r = s.Do(testserver.Request{Method: http.MethodPatch, Path: fmt.Sprintf("/api/admin/users/%d/", int64(someoneID)),
		JSON: map[string]any{"is_staff": true}, Bearer: root.Access})
	if r.Status != http.StatusOK || r.JSON(t)["is_staff"] != true {
		t.Fatalf("PATCH as the new superuser: %d %s", r.Status, r.Body)
	}
	checkChangePassword(t, c, s, pair, userPW)
}

// checkUsage: wrong usage exits 2 with a usage line; help and version work.
func checkUsage(t *testing.T, c cli) {
	for _, args := range [][]string{
		{"createsuperuser"},
		{"createsuperuser", "--email", "a@b.example"},
		{"createsuperuser", "--username", "x", "extra"},
		{"createsuperuser", "--bogus"},
		{"changepassword"},
		{"changepassword", "a", "b"},
		{"nosuchcommand"},
		{"serve", "extra"},
	} {
		code, _, stderr := c.run(t, "", nil, args...)
		if code != 2 || !strings.Contains(stderr, "usage: authsvc") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	code, stdout, _ := c.run(t, "", nil, "help")
	if code != 0 || !strings.Contains(stdout, "createsuperuser") || !strings.Contains(stdout, "changepassword") {
		t.Errorf("help: %d %q", code, stdout)
	}
	if code, stdout, _ := c.run(t, "", nil, "version"); code != 0 || !strings.HasPrefix(stdout, "authsvc ") {
		t.Errorf("version: %d %q", code, stdout)
	}
}

// createSuperusers makes "root" (password pw from the variable) and
// "piped" (from standard input), and checks a duplicate is refused.
func createSuperusers(t *testing.T, c cli, pw string) {
	code, stdout, stderr := c.run(t, "", map[string]string{"AUTH_SUPERUSER_PASSWORD": pw},
		"createsuperuser", "--username", "root", "--email", "root@example.com")
	if code != 0 || !strings.Contains(stdout, `"root" created`) {
		t.Fatalf("createsuperuser: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, pw) {
		t.Fatal("the password was printed")
	}
	// Through a pipe: the password is the first line of standard input.
	code, _, stderr = c.run(t, "Pip3d-in-password\nignored\n", nil, "createsuperuser", "--username", "piped")
	if code != 0 {
		t.Fatalf("createsuperuser from a pipe: exit %d: %s", code, stderr)
	}
	if code, _, stderr := c.run(t, "", map[string]string{"AUTH_SUPERUSER_PASSWORD": pw}, "createsuperuser", "--username", "ROOT"); code != 1 || !strings.Contains(stderr, "username: A user with that username already exists.") {
		t.Fatalf("duplicate: exit %d: %s", code, stderr)
	}
}

// checkChangePassword: changepassword ends the user's sessions and keys, in
// the running service s too, and refuses weak passwords and unknown users.
func checkChangePassword(t *testing.T, c cli, s *testserver.Server, pair testserver.Pair, userPW string) {
	kr := s.Post("/api-token-auth/", map[string]string{"username": "someone", "password": userPW})
	key := kr.Str(t, "token")
	code, _, stderr := c.run(t, "Fr3sh-secret-phrase\n", nil, "changepassword", "SOMEONE")
	if code != 0 {
		t.Fatalf("changepassword: exit %d: %s", code, stderr)
	}
	if r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/", Bearer: pair.Access}); r.Status != http.StatusUnauthorized {
		t.Fatalf("session after changepassword: %d", r.Status)
	}
	if r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/", Token: key}); r.Status != http.StatusUnauthorized {
		t.Fatalf("key after changepassword: %d", r.Status)
	}
	s.Login("someone", "Fr3sh-secret-phrase")
	if code, _, stderr := c.run(t, "password\n", nil, "changepassword", "someone"); code != 1 || !strings.Contains(stderr, "password: ") {
		t.Fatalf("weak changepassword: exit %d: %s", code, stderr)
	}
	if code, _, stderr := c.run(t, "Fr3sh-secret-phrase\n", nil, "changepassword", "ghost"); code != 1 || !strings.Contains(stderr, "username: User not found.") {
		t.Fatalf("unknown user: exit %d: %s", code, stderr)
	}
}
