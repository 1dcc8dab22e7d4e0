package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunBadConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, value string }{
		{"AUTH_ACCESS_TTL", "forever"},
		{"AUTH_ACCESS_TTL", "0s"},
		{"AUTH_REFRESH_REUSE_GRACE", "-1s"},
	} {
		t.Run(c.name+"="+c.value, func(t *testing.T) {
			env := map[string]string{c.name: c.value, "AUTH_DATA_DIR": t.TempDir()}
			var out, errOut bytes.Buffer
			code, err := run(nil, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
			if code == 0 {
				t.Fatalf("exit code 0")
			}
			if err == nil || !strings.Contains(err.Error(), c.name) {
				t.Errorf("error %v does not name %s", err, c.name)
			}
		})
	}
}

func TestRunHelpAndVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"version"}} {
		var out bytes.Buffer
		code, err := run(args, func(string) string { return "" }, strings.NewReader(""), &out, &out)
		if code != 0 || err != nil || out.Len() == 0 {
			t.Errorf("%v: code %d, err %v, out %q", args, code, err, out.String())
		}
	}
	var out bytes.Buffer
	if code, _ := run([]string{"frobnicate"}, func(string) string { return "" }, strings.NewReader(""), &out, &out); code == 0 {
		t.Errorf("unknown command exits 0")
	}
}
