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
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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

// run is the whole tool: one of the single-purpose modes (serve the
// baseline, print a saved report, seed, soak) or a benchmark and its report.
func run(args []string, stdout io.Writer) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	switch {
	case o.serveBare != "":
		url, _, err := startBare(o.serveBare)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "bare gin on", url)
		select {}
	case o.markdown != "":
		return writeMarkdown(o.markdown, stdout)
	case o.seedDirect > 0:
		return seedDirect(o, stdout)
	case o.soak > 0:
		return runSoak(o, stdout)
	}
	rep, err := bench(o)
	if err != nil {
		return err
	}
	return rep.write(o, stdout)
}
