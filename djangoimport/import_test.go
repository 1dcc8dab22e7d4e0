package djangoimport_test

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"authsvc/djangoimport"
	"authsvc/internal/testserver"
)

// djangoPBKDF2 computes a hash exactly as Django's PBKDF2PasswordHasher
// does, with few iterations so the test stays fast (the count is part of
// the format).
func djangoPBKDF2(t *testing.T, password string) string {
	t.Helper()
	salt := "s" + hex.EncodeToString(randomBytes(6))
	key, err := pbkdf2.Key(sha256.New, password, []byte(salt), 1000, 32)
	if err != nil {
		t.Fatal(err)
	}
	return "pbkdf2_sha256$1000$" + salt + "$" + base64.StdEncoding.EncodeToString(key)
}

// djangoArgon2 is Django's Argon2PasswordHasher format: "argon2" before
// argon2-cffi's encoded string.
func djangoArgon2(password string) string {
	salt := randomBytes(16)
	key := argon2.IDKey([]byte(password), salt, 2, 256, 2, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("argon2$argon2id$v=19$m=256,t=2,p=2$%s$%s", b64.EncodeToString(salt), b64.EncodeToString(key))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

type row struct {
	username, email, password string
	superuser, staff, active  bool
	lastLogin                 string // Django's text form; "" is NULL
	dateJoined                string
	wantLogin                 bool
	plain                     string // the password, for the login check
}

const joined = "2021-03-04 05:06:07.123456"

// fixture is a Django user table with every case the import must handle.
func fixture(t *testing.T) []row {
	return []row{
		{username: "alice", email: "alice@example.test", plain: "alice-Old-pass-1", active: true,
			lastLogin: "2024-01-02 03:04:05.5", wantLogin: true},
		{username: "root", email: "root@example.test", plain: "root-Old-pass-1", active: true, superuser: true, wantLogin: true},
		{username: "Bob", email: "bob@django.test", plain: "bob-Old-pass-1", active: true},        // name taken here
		{username: "carol", email: "Taken@Example.test", plain: "carol-Old-pass-1", active: true}, // email taken here
		{username: "bad name!", email: "", plain: "whatever-pass-1", active: true},                // invalid name
		{username: "dave", email: "", password: "!unusableDjangoPassword", active: true},          // unusable
		{username: "erin", email: "erin@example.test", plain: "erin-Old-pass-1", active: false},   // inactive
		{username: "Frank", email: "frank@example.test", plain: "frank-Old-pass-1", active: true, wantLogin: true},
		{username: "frank", email: "frank2@example.test", plain: "frank2-Old-pass-1", active: true}, // same name, other case
		{username: "gina", email: "gina@example.test", password: "argon2", plain: "gina-Old-pass-1", active: true, wantLogin: true},
	}
}

const ddl = `CREATE TABLE auth_user (
 id %s,
 password varchar(128) NOT NULL,
 last_login %s NULL,
 is_superuser %s NOT NULL,
 username varchar(150) NOT NULL UNIQUE,
 first_name varchar(150) NOT NULL,
 last_name varchar(150) NOT NULL,
 email varchar(254) NOT NULL,
 is_staff %s NOT NULL,
 is_active %s NOT NULL,
 date_joined %s NOT NULL)`

// fill creates auth_user in db and inserts rows, hashing the passwords.
func fill(t *testing.T, db *sql.DB, postgres bool, rows []row) {
	t.Helper()
	create := fmt.Sprintf(ddl, "integer NOT NULL PRIMARY KEY AUTOINCREMENT", "datetime", "bool", "bool", "bool", "datetime")
	insert := `INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
 VALUES (?, ?, ?, ?, '', '', ?, ?, ?, ?)`
	if postgres {
		create = fmt.Sprintf(ddl, "serial PRIMARY KEY", "timestamptz", "boolean", "boolean", "boolean", "timestamptz")
		insert = `INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
 VALUES ($1, $2, $3, $4, '', '', $5, $6, $7, $8)`
	}
	if _, err := db.Exec(create); err != nil {
		t.Fatalf("create auth_user: %v", err)
	}
	for _, r := range rows {
		hash := r.password
		switch {
		case hash == "argon2":
			hash = djangoArgon2(r.plain)
		case hash == "":
			hash = djangoPBKDF2(t, r.plain)
		}
		var last any
		if r.lastLogin != "" {
			last = r.lastLogin
		}
		var sup, staff, active any = r.superuser, r.staff, r.active
		if !postgres { // Django's SQLite backend stores booleans as 0/1
			sup, staff, active = b2i(r.superuser), b2i(r.staff), b2i(r.active)
		}
		if _, err := db.Exec(insert, hash, last, sup, r.username, r.email, staff, active, joined); err != nil {
			t.Fatalf("insert %s: %v", r.username, err)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// newTarget starts the service with the users that cause conflicts.
func newTarget(t *testing.T) *testserver.Server {
	t.Helper()
	srv := testserver.New(t, testserver.Options{})
	for _, u := range []map[string]string{
		{"username": "bob", "email": "bob@here.test", "password": "Native-bob-pass-1"},
		{"username": "zed", "email": "taken@example.test", "password": "Native-zed-pass-1"},
	} {
		if r := srv.Post("/api/auth/register/", u); r.Status != http.StatusCreated {
			t.Fatalf("register %s: %d %s", u["username"], r.Status, r.Body)
		}
	}
	return srv
}

func TestImportFromDjangoSQLite(t *testing.T) {
	t.Parallel()
	// A '#' in the name: the import opens it as a "file:" URI, where an
	// unescaped '#' would end the path.
	path := filepath.Join(t.TempDir(), "django#1.sqlite3")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	rows := fixture(t)
	fill(t, db, false, rows)
	db.Close()
	checkImport(t, path, rows)
}

func TestImportFromDjangoPostgres(t *testing.T) {
	t.Parallel()
	dsn := os.Getenv("AUTH_TEST_POSTGRES_URL")
	if dsn == "" {
		t.Skip("AUTH_TEST_POSTGRES_URL is not set")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := "djimport_" + hex.EncodeToString(randomBytes(4))
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	from := dsn + sep + "search_path=" + schema
	db, err := sql.Open("pgx", from)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := fixture(t)
	fill(t, db, true, rows)
	checkImport(t, from, rows)
}

// checkImport imports from into a fresh service and checks every outcome,
// then imports again through the command and checks nothing changes.
func checkImport(t *testing.T, from string, rows []row) {
	t.Helper()
	srv := newTarget(t)
	ctx := context.Background()
	var out bytes.Buffer
	sum, err := djangoimport.Run(ctx, srv.App.Store, from, &out)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	want := djangoimport.Summary{Imported: 6, Conflicts: 3, Invalid: 1, Unusable: 1}
	if sum != want {
		t.Fatalf("summary %+v, want %+v\n%s", sum, want, out.String())
	}
	for _, line := range []string{
		"conflict  django id 3 (Bob): username taken by a different user",
		"conflict  django id 4 (carol): email taken by a different user",
		`invalid   django id 5: username "bad name!"`,
		"conflict  django id 9 (frank): username taken by a different user",
		"imported 6, unchanged 0, conflicts 3, invalid 1",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("output lacks %q:\n%s", line, out.String())
		}
	}

	// Fields as Django had them, before any login touches last_login.
	alice, root, erin := user(t, srv, "alice"), user(t, srv, "root"), user(t, srv, "erin")
	wantJoined, _ := time.Parse("2006-01-02 15:04:05.999999", joined)
	wantLast, _ := time.Parse("2006-01-02 15:04:05.999999", "2024-01-02 03:04:05.5")
	if alice.LastLogin == nil || !alice.LastLogin.Equal(wantLast) {
		t.Errorf("alice last_login %v, want %v", alice.LastLogin, wantLast)
	}
	if !alice.DateJoined.Equal(wantJoined) || alice.Email != "alice@example.test" || alice.IsStaff || alice.IsSuperuser {
		t.Errorf("alice imported as %+v", alice)
	}
	if !root.IsStaff || !root.IsSuperuser || root.LastLogin != nil {
		t.Errorf("root: staff %v superuser %v last_login %v, want staff and superuser, no last login", root.IsStaff, root.IsSuperuser, root.LastLogin)
	}
	if erin.IsActive {
		t.Error("erin imported active")
	}

	// Imported users log in over HTTP with their Django password, and the
	// stored hash is argon2id afterwards.
	for _, r := range rows {
		if !r.wantLogin {
			continue
		}
		before := user(t, srv, r.username)
		srv.Login(r.username, r.plain)
		after := user(t, srv, r.username)
		if !strings.HasPrefix(after.PasswordHash, "$argon2id$v=19$m=64,") || after.PasswordHash == before.PasswordHash {
			t.Errorf("%s: hash after login %.30q (before %.30q), want a fresh argon2id hash", r.username, after.PasswordHash, before.PasswordHash)
		}
		srv.Login(r.username, r.plain) // the upgraded hash works
	}
	for _, name := range []string{"dave", "erin"} { // unusable password, inactive
		if r := srv.Post("/api/auth/token/", map[string]string{"username": name, "password": "erin-Old-pass-1"}); r.Status != http.StatusUnauthorized {
			t.Errorf("%s logged in: %d", name, r.Status)
		}
	}
	importAgain(t, srv, from)
}

func TestImportRefusesMissingSource(t *testing.T) {
	t.Parallel()
	srv := testserver.New(t, testserver.Options{})
	missing := filepath.Join(t.TempDir(), "nope.sqlite3")
	for _, from := range []string{missing, "sqlite://" + missing} {
		if _, err := djangoimport.Run(context.Background(), srv.App.Store, from, &bytes.Buffer{}); err == nil {
			t.Errorf("%s: no error", from)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatal("the import created the missing source file")
	}
}
