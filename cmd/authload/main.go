// Command authload drives a running authsvc over keep-alive connections and
// reports requests, req/s, latency percentiles and errors per scenario, each
// also as a fraction of a bare Gin handler measured in the same run (absolute
// numbers on a shared machine are noise; same-run ratios are not).
//
//	authload -url http://127.0.0.1:8000 -c 64 -d 10s -scenario profile,verify,refresh
//
// Scenarios: profile, verify, refresh, login, register, spa, loginflood
// (profile workers while -flood login workers run), hashrate (argon2id in
// process). name@N runs one scenario at concurrency N. The tool registers its
// own users through the API. -seed-direct N instead bulk-loads N users
// straight into a SQLite file (the scale check) and exits.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// password is every tool-made user's password: long, not common, unlike
// any generated username.
const password = "Correct-Horse-Battery-Staple-47"

type options struct {
	url        string
	c          int
	d          time.Duration
	users      int
	scenarios  string
	jsonOut    string
	bareURL    string
	noBare     bool
	bareInProc bool
	serveBare  string
	serverPID  int
	serverLog  string
	flood      int
	spaCalls   int
	spaRefresh int
	strict     bool
	seedDirect int
	db         string
	label      string
	markdown   string
	// Soak mode (issue 9): the SPA mix for soak, sampled every soakEvery.
	soak         time.Duration
	soakEvery    time.Duration
	soakWarmup   time.Duration
	metricsToken string
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "authload:", err)
		os.Exit(1)
	}
}

func parse(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("authload", flag.ContinueOnError)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8000", "base URL of the running service")
	fs.IntVar(&o.c, "c", 64, "concurrent workers (keep-alive connections)")
	fs.DurationVar(&o.d, "d", 10*time.Second, "duration of each scenario")
	fs.IntVar(&o.users, "users", 64, "users to register through the API")
	fs.StringVar(&o.scenarios, "scenario", "profile,verify,refresh,login,register,spa,loginflood,hashrate", "comma list; name@N sets that scenario's concurrency")
	fs.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file (- for stdout)")
	fs.StringVar(&o.bareURL, "bare-url", "", "measure the baseline against this bare Gin server instead of one the tool starts")
	fs.BoolVar(&o.noBare, "no-bare", false, "skip the bare Gin baseline")
	fs.BoolVar(&o.bareInProc, "bare-in-process", false, "serve the bare Gin baseline inside this process instead of a child process (flatters the baseline; for comparison only)")
	fs.StringVar(&o.serveBare, "serve-bare", "", "only serve the bare Gin baseline on this address (for a pinned run)")
	fs.IntVar(&o.serverPID, "server-pid", 0, "sample this process's RSS during each scenario")
	fs.StringVar(&o.serverLog, "server-log", "", "the server's JSON log (AUTH_LOG_LEVEL=debug) to read group-commit batch sizes from")
	fs.IntVar(&o.flood, "flood", 64, "login workers in the loginflood scenario")
	fs.IntVar(&o.spaCalls, "spa-calls", 50, "spa: profile calls per session")
	fs.IntVar(&o.spaRefresh, "spa-refresh", 10, "spa: refresh every N calls")
	fs.BoolVar(&o.strict, "strict", false, "exit 1 on any non-2xx answer, transport error or \"database is locked\" (smoke tests)")
	fs.IntVar(&o.seedDirect, "seed-direct", 0, "bulk-load this many users into -db and exit")
	fs.StringVar(&o.db, "db", "", "SQLite file for -seed-direct")
	fs.StringVar(&o.label, "label", "", "free text recorded in the JSON (e.g. shared, pinned)")
	fs.StringVar(&o.markdown, "markdown", "", "print this saved -json report as a Markdown table and exit")
	fs.DurationVar(&o.soak, "soak", 0, "soak mode: run the spa mix this long, sample the server's RSS, heap and goroutines, fail on growth or any 5xx")
	fs.DurationVar(&o.soakEvery, "soak-every", 5*time.Second, "soak: sampling interval")
	fs.DurationVar(&o.soakWarmup, "soak-warmup", 15*time.Second, "soak: samples before this are not judged")
	fs.StringVar(&o.metricsToken, "metrics-token", "", "soak: the server's AUTH_METRICS_TOKEN, if set")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.c < 1 || o.d <= 0 || o.users < 1 || o.flood < 0 || o.spaCalls < 1 || o.spaRefresh < 1 {
		return o, errors.New("-c, -d, -users, -spa-calls and -spa-refresh must be positive")
	}
	return o, nil
}

// Report is the JSON output.
type Report struct {
	Label       string   `json:"label,omitempty"`
	Started     string   `json:"started"`
	CPUs        int      `json:"cpus"`
	GoVersion   string   `json:"go"`
	LoadBefore  string   `json:"loadavg_before"`
	LoadAfter   string   `json:"loadavg_after"`
	Bare        *Result  `json:"bare_gin,omitempty"`
	BareEnd     *Result  `json:"bare_gin_end,omitempty"`
	BareMeanRPS float64  `json:"bare_gin_mean_req_per_s,omitempty"`
	Results     []Result `json:"results"`
}

func run(args []string, stdout io.Writer) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	if o.serveBare != "" {
		url, _, err := startBare(o.serveBare)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "bare gin on", url)
		select {}
	}
	if o.markdown != "" {
		return writeMarkdown(o.markdown, stdout)
	}
	if o.seedDirect > 0 {
		return seedDirect(o, stdout)
	}
	if o.soak > 0 {
		return runSoak(o, stdout)
	}
	rep := Report{Label: o.label, Started: time.Now().UTC().Format(time.RFC3339), CPUs: runtime.NumCPU(),
		GoVersion: runtime.Version(), LoadBefore: loadavg()}

	// The baseline runs before and after the scenarios; ratios use the mean,
	// which evens out a neighbour's load that comes or goes mid-run.
	bare := func() (*Result, error) {
		url, stop := o.bareURL, func() {}
		if url == "" {
			var err error
			start := spawnBare
			if o.bareInProc {
				start = func() (string, func(), error) { return startBare("127.0.0.1:0") }
			}
			if url, stop, err = start(); err != nil {
				return nil, err
			}
		}
		defer stop()
		bc := newClient(url, o.c)
		steps := make([]step, o.c)
		for i := range steps {
			steps[i] = func(buf *bytes.Buffer) (int, error) { return bc.do("GET", "/api/auth/profile/", "", nil, buf) }
		}
		b := measure(o.d, group{name: "bare-gin", steps: steps})[0]
		fmt.Fprintf(os.Stderr, "bare gin: %.0f req/s\n", b.RPS)
		return &b, nil
	}
	if !o.noBare {
		if rep.Bare, err = bare(); err != nil {
			return err
		}
	}

	e := &env{cl: newClient(strings.TrimRight(o.url, "/"), o.c+o.flood), runID: runID(), o: o}
	names := strings.Split(o.scenarios, ",")
	needUsers := false
	for _, n := range names {
		if name, _, _ := strings.Cut(n, "@"); name != "hashrate" {
			needUsers = true
		}
	}
	if needUsers {
		fmt.Fprintf(os.Stderr, "seeding %d users through the API...\n", o.users)
		if err := e.seed(o.users); err != nil {
			return fmt.Errorf("seed users: %w", err)
		}
	}
	// hashRate is the mean of every hashrate run: measured right before login
	// and again at the end, like the bare Gin baseline, it evens out a
	// neighbour's load that comes or goes mid-run.
	var hashRate float64
	hashRuns := 0
	for _, spec := range names {
		name, cs, _ := strings.Cut(strings.TrimSpace(spec), "@")
		c := o.c
		if cs != "" {
			if c, err = strconv.Atoi(cs); err != nil || c < 1 {
				return fmt.Errorf("scenario %q: bad concurrency", spec)
			}
		}
		if name == "hashrate" {
			c = runtime.NumCPU()
		}
		fmt.Fprintf(os.Stderr, "running %s c=%d for %s...\n", name, c, o.d)
		mark := markLog(o.serverLog)
		rss := startRSS(o.serverPID)
		var rs []Result
		switch name {
		case "profile":
			rs = measure(o.d, group{"profile", e.profileSteps(c)})
		case "verify":
			rs = measure(o.d, group{"verify", e.verifySteps(c)})
		case "refresh":
			steps, err := e.refreshSteps(c)
			if err != nil {
				rss.done()
				return fmt.Errorf("refresh setup: %w", err)
			}
			rs = measure(o.d, group{"refresh", steps})
			if b := mark.batches(); b != nil {
				rs[0].Extra = b
			}
		case "login":
			rs = measure(o.d, group{"login", e.loginSteps(c)})
		case "register":
			rs = measure(o.d, group{"register", e.registerSteps(c)})
		case "spa":
			rs = measure(o.d, group{"spa", e.spaSteps(c)})
		case "loginflood":
			rs = measure(o.d, group{"loginflood:profile", e.profileSteps(c)}, group{"loginflood:login", e.loginSteps(o.flood)})
		case "hashrate":
			rs = []Result{hashrate(context.Background(), o.d)}
			hashRate = (hashRate*float64(hashRuns) + rs[0].RPS) / float64(hashRuns+1)
			hashRuns++
		default:
			rss.done()
			return fmt.Errorf("unknown scenario %q", name)
		}
		peak := rss.done()
		for i := range rs {
			rs[i].Name += suffix(cs)
			rs[i].MaxRSSMiB = peak
		}
		rep.Results = append(rep.Results, rs...)
	}
	if rep.Bare != nil {
		if rep.BareEnd, err = bare(); err != nil {
			return err
		}
		rep.BareEnd.Name = "bare-gin(end)"
		rep.BareMeanRPS = (rep.Bare.RPS + rep.BareEnd.RPS) / 2
		for i := range rep.Results {
			if r := &rep.Results[i]; r.Name != "hashrate" && rep.BareMeanRPS > 0 {
				r.RatioBare = round3(r.RPS / rep.BareMeanRPS)
			}
		}
	}
	// Login is bounded by argon2id: give it as a fraction of the raw rate.
	for i := range rep.Results {
		r := &rep.Results[i]
		base, _, _ := strings.Cut(r.Name, "@")
		if hashRate > 0 && (base == "login" || base == "loginflood:login") {
			if r.Extra == nil {
				r.Extra = map[string]any{}
			}
			r.Extra["ratio_to_hashrate"] = round3(r.RPS / hashRate)
		}
	}
	rep.LoadAfter = loadavg()

	all := rep.all()
	fmt.Fprintf(stdout, "authload %s  cpus=%d  load before: %s  after: %s\n", rep.Label, rep.CPUs, rep.LoadBefore, rep.LoadAfter)
	printTable(stdout, all)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if o.jsonOut == "-" {
			stdout.Write(append(b, '\n'))
		} else if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
	}
	if o.strict {
		var bad []string
		for _, r := range all {
			if r.Errors > 0 || r.Locked > 0 || r.Requests == 0 {
				bad = append(bad, fmt.Sprintf("%s: %d errors (%v, %d transport), %d database locked, %d requests",
					r.Name, r.Errors, r.Status, r.NetErrors, r.Locked, r.Requests))
			}
		}
		if len(bad) > 0 {
			return fmt.Errorf("strict: %s", strings.Join(bad, "; "))
		}
	}
	return nil
}

// all lists the baseline runs first, then the scenarios.
func (rep *Report) all() []Result {
	var out []Result
	if rep.Bare != nil {
		out = append(out, *rep.Bare)
	}
	if rep.BareEnd != nil {
		out = append(out, *rep.BareEnd)
	}
	return append(out, rep.Results...)
}

func suffix(cs string) string {
	if cs == "" {
		return ""
	}
	return "@" + cs
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

func runID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "lt" + hex.EncodeToString(b[:])
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
