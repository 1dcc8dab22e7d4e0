package main

import (
	"strings"
	"testing"
	"time"
)

func TestJudgeSoak(t *testing.T) {
	t.Parallel()
	series := func(f func(i int) soakSample) []soakSample {
		var out []soakSample
		for i := 0; i < 12; i++ {
			s := f(i)
			s.At = time.Duration(i+1) * 5 * time.Second
			out = append(out, s)
		}
		return out
	}
	steady := func(i int) soakSample {
		// GC breathing: up and down around a flat level.
		return soakSample{RSSMiB: 60 + float64(i%3), HeapObjects: 40000 + float64(i%2)*3000, Goroutines: 90 + float64(i%4)}
	}
	for _, tc := range []struct {
		name    string
		samples []soakSample
		want    string // "" passes; else a fragment of the error
	}{
		{"steady", series(steady), ""},
		{"warm-up growth is ignored", series(func(i int) soakSample {
			s := steady(i)
			if i < 2 {
				s.HeapObjects = 2000
			}
			return s
		}), ""},
		{"heap leak", series(func(i int) soakSample {
			s := steady(i)
			s.HeapObjects = 40000 + float64(i)*8000
			return s
		}), "heap"},
		{"RSS leak", series(func(i int) soakSample {
			s := steady(i)
			s.RSSMiB = 60 + float64(i)*10
			return s
		}), "RSS"},
		{"goroutine leak", series(func(i int) soakSample {
			s := steady(i)
			s.Goroutines = 90 + float64(i)*20
			return s
		}), "goroutines"},
		{"a 5xx", series(func(i int) soakSample {
			s := steady(i)
			if i == 7 {
				s.Bad = 1
			}
			return s
		}), "5xx"},
		{"too short", series(steady)[:4], "samples"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := judgeSoak(tc.samples, 15*time.Second)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("want pass, got %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("want an error about %q, got %v", tc.want, err)
			}
		})
	}
}
