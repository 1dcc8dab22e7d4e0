package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// recorder collects one worker's latencies and outcomes; workers never share
// one, so recording takes no lock.
type recorder struct {
	lat     []time.Duration
	classes [6]int64 // index status/100; 0: transport error
	locked  int64
}

func (r *recorder) add(d time.Duration, status int, body []byte) {
	r.lat = append(r.lat, d)
	if status < 100 || status > 599 {
		status = 0
	}
	r.classes[status/100]++
	if status >= 400 && containsLocked(body) {
		r.locked++
	}
}

func containsLocked(b []byte) bool {
	return strings.Contains(string(b), "database is locked")
}

// Result is one scenario's figures: the table row and the JSON object.
type Result struct {
	Name        string           `json:"name"`
	Concurrency int              `json:"concurrency"`
	Seconds     float64          `json:"seconds"`
	Requests    int64            `json:"requests"`
	RPS         float64          `json:"req_per_s"`
	P50         float64          `json:"p50_ms"`
	P90         float64          `json:"p90_ms"`
	P99         float64          `json:"p99_ms"`
	Max         float64          `json:"max_ms"`
	Status      map[string]int64 `json:"status"`
	NetErrors   int64            `json:"net_errors"`
	Locked      int64            `json:"database_locked"`
	Errors      int64            `json:"errors"`
	RatioBare   float64          `json:"ratio_to_bare_gin,omitempty"`
	MaxRSSMiB   float64          `json:"server_max_rss_mib,omitempty"`
	Extra       map[string]any   `json:"extra,omitempty"`
}

func summarize(name string, c int, took time.Duration, recs []*recorder) Result {
	var all []time.Duration
	res := Result{Name: name, Concurrency: c, Seconds: took.Seconds(), Status: map[string]int64{}}
	for _, r := range recs {
		all = append(all, r.lat...)
		for i, n := range r.classes {
			if n == 0 {
				continue
			}
			if i == 0 {
				res.NetErrors += n
				continue
			}
			res.Status[fmt.Sprintf("%dxx", i)] += n
		}
		res.Locked += r.locked
	}
	slices.Sort(all)
	res.Requests = int64(len(all))
	res.Errors = res.Requests - res.Status["2xx"]
	if took > 0 {
		res.RPS = float64(res.Requests) / took.Seconds()
	}
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := int(math.Ceil(p*float64(len(all)))) - 1
		return ms(all[max(i, 0)])
	}
	res.P50, res.P90, res.P99 = pct(0.50), pct(0.90), pct(0.99)
	if len(all) > 0 {
		res.Max = ms(all[len(all)-1])
	}
	return res
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

func printTable(w io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tc\trequests\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\t2xx\t4xx\t5xx\tnet err\tdb locked\tx bare\tRSS MiB\t")
	for _, r := range rs {
		ratio, rss := "", ""
		if r.RatioBare > 0 {
			ratio = fmt.Sprintf("%.3f", r.RatioBare)
		}
		if r.MaxRSSMiB > 0 {
			rss = fmt.Sprintf("%.0f", r.MaxRSSMiB)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n",
			r.Name, r.Concurrency, r.Requests, r.RPS, r.P50, r.P90, r.P99, r.Max,
			r.Status["2xx"], r.Status["4xx"], r.Status["5xx"], r.NetErrors, r.Locked, ratio, rss)
	}
	tw.Flush()
	for _, r := range rs {
		if len(r.Extra) == 0 {
			continue
		}
		keys := make([]string, 0, len(r.Extra))
		for k := range r.Extra {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s=%v", k, r.Extra[k]))
		}
		fmt.Fprintf(w, "  %s: %s\n", r.Name, strings.Join(parts, " "))
	}
}
