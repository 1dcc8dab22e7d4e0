package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// soakSample is the server's state after one slice of load.
type soakSample struct {
	At      time.Duration
	RSSMiB  float64
	HeapMiB float64
	// HeapObjects is the leak signal for the heap: heap bytes swing by the
	// 12 MiB of each argon2id hash in flight, the object count does not.
	HeapObjects float64
	Goroutines  float64
	Requests    int64
	Bad         int64 // 5xx and transport errors in the slice
}

// runSoak drives the SPA mix for o.soak, in slices of o.soakEvery, and after
// each slice samples the server's RSS, heap objects and goroutines (from
// /metrics). It fails on any 5xx or transport error, and when, after the
// warm-up, the second half of the samples sits clearly above the first half:
// memory or goroutines that keep growing under a steady load are a leak.
func runSoak(o options, stdout io.Writer) error {
	e := &env{cl: newClient(strings.TrimRight(o.url, "/"), o.c), runID: runID(), o: o}
	fmt.Fprintf(os.Stderr, "soak: seeding %d users through the API...\n", o.users)
	if err := e.seed(o.users); err != nil {
		return fmt.Errorf("seed users: %w", err)
	}
	// One set of workers for the whole run: each keeps its tab's state
	// (session, refresh chain) across slices, as a long-lived client does.
	g := group{name: "soak-spa", steps: e.spaSteps(o.c)}
	var samples []soakSample
	start := time.Now()
	for time.Since(start) < o.soak {
		r := measure(o.soakEvery, g)[0]
		s, err := sampleServer(e.cl, o)
		if err != nil {
			return err
		}
		s.At = time.Since(start).Round(time.Second)
		s.Requests = r.Requests
		s.Bad = r.NetErrors + r.Status["5xx"]
		samples = append(samples, s)
		fmt.Fprintf(stdout, "%6s  %7d req  %4d bad  rss %7.1f MiB  heap %6.1f MiB  %8.0f objects  goroutines %5.0f\n",
			s.At, s.Requests, s.Bad, s.RSSMiB, s.HeapMiB, s.HeapObjects, s.Goroutines)
	}
	return judgeSoak(samples, o.soakWarmup)
}

// judgeSoak applies the pass rules to the samples.
func judgeSoak(samples []soakSample, warmup time.Duration) error {
	var bad int64
	for _, s := range samples {
		bad += s.Bad
	}
	if bad > 0 {
		return fmt.Errorf("soak: %d requests answered 5xx or failed at the transport level", bad)
	}
	var steady []soakSample
	for _, s := range samples {
		if s.At > warmup {
			steady = append(steady, s)
		}
	}
	if len(steady) < 4 {
		return fmt.Errorf("soak: only %d samples after the %s warm-up; run longer or sample more often", len(steady), warmup)
	}
	half := len(steady) / 2
	first, second := steady[:half], steady[len(steady)-half:]
	med := func(ss []soakSample, f func(soakSample) float64) float64 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = f(s)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	checks := []struct {
		name  string
		f     func(soakSample) float64
		slack func(base float64) float64 // allowed rise of the median
	}{
		// GC makes heap and RSS breathe; a leak shows as a steady climb well
		// past that: a quarter more than the first half, plus a floor.
		{"RSS (MiB)", func(s soakSample) float64 { return s.RSSMiB }, func(b float64) float64 { return b*0.25 + 8 }},
		{"heap objects", func(s soakSample) float64 { return s.HeapObjects }, func(b float64) float64 { return b*0.25 + 5000 }},
		{"goroutines", func(s soakSample) float64 { return s.Goroutines }, func(b float64) float64 { return b*0.1 + 16 }},
	}
	for _, c := range checks {
		a, b := med(first, c.f), med(second, c.f)
		if b > a+c.slack(a) {
			return fmt.Errorf("soak: %s keeps growing after warm-up: median %.1f in the first half, %.1f in the second", c.name, a, b)
		}
	}
	return nil
}

// sampleServer reads RSS, heap and goroutines from the server's /metrics
// (process and Go collectors).
func sampleServer(cl *client, o options) (soakSample, error) {
	req, err := http.NewRequest(http.MethodGet, cl.base+"/metrics", nil)
	if err != nil {
		return soakSample{}, err
	}
	if o.metricsToken != "" {
		req.Header.Set("Authorization", "Bearer "+o.metricsToken)
	}
	resp, err := cl.hc.Do(req)
	if err != nil {
		return soakSample{}, fmt.Errorf("soak: read /metrics: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return soakSample{}, fmt.Errorf("soak: /metrics answered %d (%v)", resp.StatusCode, err)
	}
	vals := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		switch name {
		case "process_resident_memory_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_heap_objects", "go_goroutines":
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				vals[name] = f
			}
		}
	}
	for _, n := range []string{"process_resident_memory_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_heap_objects", "go_goroutines"} {
		if _, ok := vals[n]; !ok {
			return soakSample{}, fmt.Errorf("soak: /metrics has no %s", n)
		}
	}
	return soakSample{
		RSSMiB:      vals["process_resident_memory_bytes"] / (1 << 20),
		HeapMiB:     vals["go_memstats_heap_inuse_bytes"] / (1 << 20),
		HeapObjects: vals["go_memstats_heap_objects"],
		Goroutines:  vals["go_goroutines"],
	}, nil
}
