package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// writeMarkdown prints a saved JSON report as the Markdown table that
// BENCHMARKS.md carries, so the document is filled from the raw output and
// not copied by hand.
func writeMarkdown(path string, w io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(w, "Run `%s`: %d CPUs, %s, load average before %s, after %s; bare Gin mean %.0f req/s.\n\n", rep.Label, rep.CPUs, rep.GoVersion, rep.LoadBefore, rep.LoadAfter, rep.BareMeanRPS)
	fmt.Fprintln(w, "| scenario | c | requests | req/s | p50 ms | p99 ms | max ms | errors (4xx/5xx/net) | db locked | × bare Gin | server RSS MiB | notes |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|")
	all := rep.all()
	for _, r := range all {
		ratio, rss := "", ""
		if r.RatioBare > 0 {
			ratio = fmt.Sprintf("%.3f", r.RatioBare)
		}
		if r.MaxRSSMiB > 0 {
			rss = fmt.Sprintf("%.0f", r.MaxRSSMiB)
		}
		note := ""
		for _, k := range []string{"ratio_to_hashrate", "rotations_per_commit_mean", "rotations_per_commit_max", "batches", "params"} {
			if v, ok := r.Extra[k]; ok {
				note += fmt.Sprintf("%s=%v ", k, v)
			}
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.0f | %.2f | %.2f | %.2f | %d/%d/%d | %d | %s | %s | %s|\n",
			r.Name, r.Concurrency, r.Requests, r.RPS, r.P50, r.P99, r.Max,
			r.Status["4xx"], r.Status["5xx"], r.NetErrors, r.Locked, ratio, rss, note)
	}
	return nil
}
