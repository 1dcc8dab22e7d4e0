package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssSampler follows the server's resident memory (from /proc) while a
// scenario runs and keeps the peak.
type rssSampler struct {
	pid  int
	stop chan struct{}
	wg   sync.WaitGroup
	max  int64 // KiB
}

func startRSS(pid int) *rssSampler {
	s := &rssSampler{pid: pid, stop: make(chan struct{})}
	if pid <= 0 {
		return s
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if kb := readRSS(pid); kb > s.max {
				s.max = kb
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// done stops sampling and returns the peak in MiB (0 when not sampled).
func (s *rssSampler) done() float64 {
	close(s.stop)
	s.wg.Wait()
	return float64(s.max) / 1024
}

func readRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// logMark remembers where the server's log ended before a scenario, so the
// group-commit lines written during it can be read afterwards.
type logMark struct {
	path string
	off  int64
}

func markLog(path string) logMark {
	m := logMark{path: path}
	if fi, err := os.Stat(path); err == nil {
		m.off = fi.Size()
	}
	return m
}

// batches summarises the "rotation batch committed" debug lines the server
// logged since the mark: how many rotations each commit carried.
func (m logMark) batches() map[string]any {
	if m.path == "" {
		return nil
	}
	f, err := os.Open(m.path)
	if err != nil {
		return map[string]any{"batch_log_error": err.Error()}
	}
	defer f.Close()
	if _, err := f.Seek(m.off, io.SeekStart); err != nil {
		return nil
	}
	var n, sum, maxB int64
	hist := map[string]int64{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.Contains(line, []byte(`"rotation batch committed"`)) {
			continue
		}
		var rec struct {
			Size int64 `json:"batch_size"`
		}
		if json.Unmarshal(line, &rec) != nil || rec.Size <= 0 {
			continue
		}
		n++
		sum += rec.Size
		maxB = max(maxB, rec.Size)
		hist[bucket(rec.Size)]++
	}
	if n == 0 {
		return map[string]any{"batches": 0}
	}
	return map[string]any{
		"batches": n, "rotations_per_commit_mean": fmt.Sprintf("%.1f", float64(sum)/float64(n)),
		"rotations_per_commit_max": maxB, "batch_hist": hist,
	}
}

func bucket(n int64) string {
	for _, b := range []int64{1, 2, 4, 8, 16, 32, 64, 128} {
		if n <= b {
			return "<=" + strconv.FormatInt(b, 10)
		}
	}
	return ">128"
}
