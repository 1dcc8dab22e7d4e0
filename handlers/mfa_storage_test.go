package handlers_test

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// Secrets at rest are sealed and recovery codes hashed: someone with a copy
// of the database (a backup, a replica) must not be able to produce codes.
// The test writes a confirmed factor and a pending enrolment, then reads
// every column of every table, on SQLite and on PostgreSQL alike, and on
// SQLite also the database files' raw bytes (freed pages and the WAL keep
// what an UPDATE overwrote). The logs must not hold them either.
func TestMFASecretsNotStoredInClear(t *testing.T) {
	t.Parallel()
	logs := &testserver.LogBuffer{}
	start := time.Now().UTC().Truncate(totpStep).Add(5 * time.Second)
	s := testserver.New(t, testserver.Options{Log: logs, Clock: testserver.NewClockAt(start)})
	u := newMFAUser(t, s, "vaulted")
	// One recovery code used, so a "used" row exists too.
	pairOf(t, finish(s, mfaLogin(t, s, pathToken, u.name, u.pw), u.recovery[0]))
	pending, pw := s.NewUser("pending")
	replaced := enrol(t, s, pending.Access, pw)
	current := enrol(t, s, pending.Access, pw)

	needles := map[string][]byte{}
	for who, secret := range map[string]string{"confirmed secret": u.secret, "replaced secret": replaced, "pending secret": current} {
		for form, b := range secretForms(t, secret) {
			needles[who+" as "+form] = b
		}
	}
	for i, c := range u.recovery {
		needles[fmt.Sprintf("recovery code %d", i)] = []byte(c)
		needles[fmt.Sprintf("recovery code %d without dash", i)] = []byte(strings.ReplaceAll(c, "-", ""))
		needles[fmt.Sprintf("recovery code %d upper case", i)] = []byte(strings.ToUpper(strings.ReplaceAll(c, "-", "")))
	}

	for where, hay := range databaseText(t, s) {
		for what, needle := range needles {
			if bytes.Contains(hay, needle) {
				t.Errorf("%s holds the %s", where, what)
			}
		}
	}
	if os.Getenv(testserver.PostgresEnv) == "" {
		files, _ := filepath.Glob(filepath.Join(s.Dir, "auth.db*"))
		if len(files) == 0 {
			t.Fatal("no SQLite files in the server's folder")
		}
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for what, needle := range needles {
				if bytes.Contains(raw, needle) {
					t.Errorf("file %s holds the %s", filepath.Base(f), what)
				}
			}
		}
	}
	for what, needle := range needles {
		if strings.Contains(logs.String(), string(needle)) {
			t.Errorf("the logs hold the %s", what)
		}
	}
}

// secretForms are the encodings a secret could be stored in unsealed.
func secretForms(t *testing.T, secret string) map[string][]byte {
	t.Helper()
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	return map[string][]byte{
		"base32":           []byte(secret),
		"lowercase base32": []byte(strings.ToLower(secret)),
		"raw bytes":        raw,
		"hex":              []byte(hex.EncodeToString(raw)),
		"base64":           []byte(base64.StdEncoding.EncodeToString(raw)),
		"base64url":        []byte(base64.RawURLEncoding.EncodeToString(raw)),
	}
}

// databaseText is every value of every table, as text, keyed by table.
func databaseText(t *testing.T, s *testserver.Server) map[string][]byte {
	t.Helper()
	db := s.App.Store.W
	tables, err := db.Migrator().GetTables()
	if err != nil || len(tables) == 0 {
		t.Fatalf("list tables: %v %v", tables, err)
	}
	out := map[string][]byte{}
	for _, table := range tables {
		rows, err := db.Raw(fmt.Sprintf(`SELECT * FROM %q`, table)).Rows()
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		var buf bytes.Buffer
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("scan %s: %v", table, err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					buf.Write(b)
				} else {
					fmt.Fprint(&buf, v)
				}
				buf.WriteByte(0)
			}
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		out["table "+table] = buf.Bytes()
	}
	return out
}
