package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// TestScenariosAgainstRealServer runs every HTTP scenario for a moment in
// strict mode against the real service: any non-2xx answer, transport error
// or "database is locked" fails it. It also checks the baseline, the ratios
// and the JSON report.
func TestScenariosAgainstRealServer(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	out := filepath.Join(t.TempDir(), "r.json")
	var stdout bytes.Buffer
	err := run([]string{"-url", s.URL, "-d", "300ms", "-c", "4", "-users", "3", "-flood", "2",
		"-spa-calls", "4", "-spa-refresh", "2", "-strict", "-json", out,
		"-scenario", "profile,verify,refresh,login@2,register@2,spa,loginflood"}, &stdout)
	if err != nil {
		t.Fatalf("authload: %v\n%s", err, stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Bare == nil || rep.BareEnd == nil || rep.BareMeanRPS <= 0 {
		t.Fatalf("no baseline in report: %+v", rep)
	}
	want := []string{"profile", "verify", "refresh", "login@2", "register@2", "spa", "loginflood:profile", "loginflood:login"}
	if len(rep.Results) != len(want) {
		t.Fatalf("results %d, want %d", len(rep.Results), len(want))
	}
	for i, r := range rep.Results {
		if r.Name != want[i] || r.Requests == 0 || r.RatioBare <= 0 || r.Status["2xx"] != r.Requests {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	if !strings.Contains(stdout.String(), "loginflood:profile") {
		t.Errorf("table lacks a scenario:\n%s", stdout.String())
	}
}

// TestStrictFailsOnErrors points the tool at a server whose tokens it cannot
// get (a wrong URL path prefix answers 404 for everything): seeding fails,
// and so does the run.
func TestStrictFailsOnErrors(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	var stdout bytes.Buffer
	if err := run([]string{"-url", s.URL + "/nope", "-d", "100ms", "-c", "1", "-users", "1", "-no-bare",
		"-strict", "-scenario", "profile"}, &stdout); err == nil {
		t.Fatal("run against a broken server succeeded")
	}
}

func TestSummarize(t *testing.T) {
	r := &recorder{}
	for i := 1; i <= 100; i++ {
		r.add(time.Duration(i)*time.Millisecond, 200, nil)
	}
	r.add(time.Millisecond, 503, []byte(`{"detail":"database is locked"}`))
	r.add(time.Millisecond, 0, nil)
	res := summarize("x", 1, time.Second, []*recorder{r})
	if res.Requests != 102 || res.Errors != 2 || res.Status["5xx"] != 1 || res.NetErrors != 1 || res.Locked != 1 {
		t.Fatalf("counts: %+v", res)
	}
	if res.Max != 100 || res.P50 != 49 || res.P99 != 99 {
		t.Fatalf("percentiles: p50=%v p99=%v max=%v", res.P50, res.P99, res.Max)
	}
}

// TestMain lets the test binary stand in for authload when the tool starts
// its bare Gin baseline as a child process of itself (spawnBare).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-serve-bare" {
		main()
		return
	}
	os.Exit(m.Run())
}
