package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

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

// addRatios gives every scenario as a fraction of the bare Gin baseline's
// mean, and login as a fraction of the raw hash rate.
func (rep *Report) addRatios(hashRate float64) {
	if rep.Bare != nil && rep.BareEnd != nil {
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
}

// write prints the table, writes the JSON report if asked and, with
// -strict, fails on any error answer.
func (rep *Report) write(o options, stdout io.Writer) error {
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
		return strict(all)
	}
	return nil
}

// strict fails on any result with an error answer, a locked database or no
// requests at all (smoke tests).
func strict(all []Result) error {
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
