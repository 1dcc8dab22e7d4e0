package djangoimport_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"authsvc/accounts"
	"authsvc/cli"
	"authsvc/internal/testserver"
	"authsvc/models"
)

// importAgain imports from a second time through the command line, as an
// operator would on the service's configuration, and checks that nothing
// changes.
func importAgain(t *testing.T, srv *testserver.Server, from string) {
	t.Helper()
	snapshot := users(t, srv)
	env := map[string]string{
		"AUTH_DATABASE_URL": testserver.DatabaseURL(t, srv.Dir),
		"AUTH_DATA_DIR":     filepath.Join(srv.Dir, "data"),
		"AUTH_SECRET_KEY":   testserver.Secret,
		"AUTH_LOG_LEVEL":    "error",
	}
	var out, stderr bytes.Buffer
	code, err := cli.Run(context.Background(), []string{"import-django", "--from", from}, cli.Env{
		Getenv: func(k string) string { return env[k] }, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &stderr})
	if code != 0 || err != nil {
		t.Fatalf("second run: code %d, err %v\n%s%s", code, err, out.String(), stderr.String())
	}
	if !strings.Contains(out.String(), "imported 0, unchanged 6, conflicts 3, invalid 1") || strings.Contains(out.String(), "imported  ") {
		t.Fatalf("second run output:\n%s", out.String())
	}
	if again := users(t, srv); again != snapshot {
		t.Fatalf("second run changed users:\n%v\n%v", snapshot, again)
	}
}

func user(t *testing.T, srv *testserver.Server, key string) *models.User {
	t.Helper()
	u, err := srv.App.Store.UserByUsernameKey(context.Background(), accounts.UsernameKey(key))
	if err != nil {
		t.Fatalf("user %s: %v", key, err)
	}
	return u
}

// users describes every stored user, pointers followed, for comparison.
func users(t *testing.T, srv *testserver.Server) string {
	t.Helper()
	var all []models.User
	if err := srv.App.Store.R.Order("id").Find(&all).Error; err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, u := range all {
		ek, ll := "<nil>", "<nil>"
		if u.EmailKey != nil {
			ek = *u.EmailKey
		}
		if u.LastLogin != nil {
			ll = u.LastLogin.String()
		}
		u.EmailKey, u.LastLogin = nil, nil
		fmt.Fprintf(&b, "%+v %s %s\n", u, ek, ll)
	}
	return b.String()
}
