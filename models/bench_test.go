package models

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRotateParallel rotates 64 independent chains (on 2 cores) at once with
// synchronous=FULL, one transaction per rotation (plain) against the group
// commit (batched): the difference is fsyncs shared.
func BenchmarkRotateParallel(b *testing.B) {
	for _, plain := range []bool{true, false} {
		name := "batched"
		if plain {
			name = "plain"
		}
		b.Run(name, func(b *testing.B) {
			s := openTestStore(b, Options{PlainRotate: plain})
			now := time.Now().UTC().Truncate(time.Second)
			const perProc = 32
			chains := perProc * runtime.GOMAXPROCS(0)
			sids := make([]string, chains)
			uids := make([]int64, chains)
			for i := range sids {
				sids[i], uids[i] = newSession(b, s, fmt.Sprintf("b%d", i), now)
			}
			var next atomic.Int64
			b.SetParallelism(perProc) // 64 goroutines on the 2-core target machine
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(1)-1) % chains
				var st RefreshState
				for gen := int64(1); pb.Next(); gen++ {
					if err := s.StepRefresh(context.Background(), stepFrom(sids[i], uids[i], gen, now), &st); err != nil || !st.Rotated {
						b.Error(st, err)
						return
					}
				}
			})
			if st := s.RotationStats(); st.Batches > 0 {
				b.ReportMetric(float64(st.Rotations)/float64(st.Batches), "rotations/commit")
			}
		})
	}
}
