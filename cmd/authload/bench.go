package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// bench measures the baseline, seeds the users the scenarios need and runs
// every scenario in turn, returning the report with its ratios filled in.
func bench(o options) (Report, error) {
	rep := Report{Label: o.label, Started: time.Now().UTC().Format(time.RFC3339), CPUs: runtime.NumCPU(),
		GoVersion: runtime.Version(), LoadBefore: loadavg()}
	var err error
	// The baseline runs before and after the scenarios; ratios use the mean,
	// which evens out a neighbour's load that comes or goes mid-run.
	if !o.noBare {
		if rep.Bare, err = measureBare(o); err != nil {
			return rep, err
		}
	}
	e := &env{cl: newClient(strings.TrimRight(o.url, "/"), o.c+o.flood), runID: runID(), o: o}
	names := strings.Split(o.scenarios, ",")
	if needUsers(names) {
		fmt.Fprintf(os.Stderr, "seeding %d users through the API...\n", o.users)
		if err := e.seed(o.users); err != nil {
			return rep, fmt.Errorf("seed users: %w", err)
		}
	}
	hashRate, err := e.runScenarios(names, &rep)
	if err != nil {
		return rep, err
	}
	if rep.Bare != nil {
		if rep.BareEnd, err = measureBare(o); err != nil {
			return rep, err
		}
		rep.BareEnd.Name = "bare-gin(end)"
	}
	rep.addRatios(hashRate)
	rep.LoadAfter = loadavg()
	return rep, nil
}

// measureBare measures the bare Gin baseline: against -bare-url, or a
// server the tool starts for the purpose and stops afterwards.
func measureBare(o options) (*Result, error) {
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

// needUsers reports whether any scenario talks to the service (all but
// hashrate do).
func needUsers(names []string) bool {
	for _, n := range names {
		if name, _, _ := strings.Cut(n, "@"); name != "hashrate" {
			return true
		}
	}
	return false
}

// runScenarios runs each scenario spec (name or name@N) and appends its
// results to rep. It returns the mean of every hashrate run: measured right
// before login and again at the end, like the bare Gin baseline, it evens
// out a neighbour's load that comes or goes mid-run.
func (e *env) runScenarios(specs []string, rep *Report) (float64, error) {
	var hashRate float64
	hashRuns := 0
	for _, spec := range specs {
		name, cs, _ := strings.Cut(strings.TrimSpace(spec), "@")
		c := e.o.c
		if cs != "" {
			var err error
			if c, err = strconv.Atoi(cs); err != nil || c < 1 {
				return 0, fmt.Errorf("scenario %q: bad concurrency", spec)
			}
		}
		if name == "hashrate" {
			c = runtime.NumCPU()
		}
		fmt.Fprintf(os.Stderr, "running %s c=%d for %s...\n", name, c, e.o.d)
		rs, err := e.observed(name, c)
		if err != nil {
			return 0, err
		}
		if name == "hashrate" {
			hashRate = (hashRate*float64(hashRuns) + rs[0].RPS) / float64(hashRuns+1)
			hashRuns++
		}
		for i := range rs {
			rs[i].Name += suffix(cs)
		}
		rep.Results = append(rep.Results, rs...)
	}
	return hashRate, nil
}

// observed runs one scenario while sampling the server's RSS and marking its
// log, and records the peak RSS in each result.
func (e *env) observed(name string, c int) ([]Result, error) {
	mark := markLog(e.o.serverLog)
	rss := startRSS(e.o.serverPID)
	rs, err := e.scenario(name, c, mark)
	peak := rss.done()
	if err != nil {
		return nil, err
	}
	for i := range rs {
		rs[i].MaxRSSMiB = peak
	}
	return rs, nil
}

// scenario measures one scenario at concurrency c.
func (e *env) scenario(name string, c int, mark logMark) ([]Result, error) {
	switch name {
	case "profile":
		return measure(e.o.d, group{"profile", e.profileSteps(c)}), nil
	case "verify":
		return measure(e.o.d, group{"verify", e.verifySteps(c)}), nil
	case "refresh":
		steps, err := e.refreshSteps(c)
		if err != nil {
			return nil, fmt.Errorf("refresh setup: %w", err)
		}
		rs := measure(e.o.d, group{"refresh", steps})
		if b := mark.batches(); b != nil {
			rs[0].Extra = b
		}
		return rs, nil
	case "login":
		return measure(e.o.d, group{"login", e.loginSteps(c)}), nil
	case "register":
		return measure(e.o.d, group{"register", e.registerSteps(c)}), nil
	case "spa":
		return measure(e.o.d, group{"spa", e.spaSteps(c)}), nil
	case "loginflood":
		return measure(e.o.d, group{"loginflood:profile", e.profileSteps(c)}, group{"loginflood:login", e.loginSteps(e.o.flood)}), nil
	case "hashrate":
		return []Result{hashrate(context.Background(), e.o.d)}, nil
	}
	return nil, fmt.Errorf("unknown scenario %q", name)
}

func runID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "lt" + hex.EncodeToString(b[:])
}
