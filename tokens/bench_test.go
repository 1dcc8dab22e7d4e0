package tokens

import (
	"testing"
	"time"
)

// benchAlgs lists every signing algorithm to benchmark; a new algorithm adds
// one row (its key constructor) and gets both benchmarks.
var benchAlgs = []struct {
	name string
	key  func(testing.TB) *Key
}{
	{"HS256", func(testing.TB) *Key { return NewHMACKey([]byte("bench-secret-bench-secret-bench-secret-0123")) }},
}

func benchService(b *testing.B, k *Key, now time.Time) *Service {
	s, err := New(Options{Keys: NewKeySet(k), Issuer: "authsvc", Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchSpec(now time.Time) Spec {
	return Spec{Type: TypeAccess, UserID: 42, SessionID: "Zm9vYmFyYmF6cXV4cXV1eA", ID: "YmF6cXV4Zm9vYmFycXV1eA",
		Username: "alice", IssuedAt: now, ExpiresAt: now.Add(30 * time.Minute)}
}

func BenchmarkSign(b *testing.B) {
	now := time.Now().Truncate(time.Second)
	for _, a := range benchAlgs {
		b.Run(a.name, func(b *testing.B) {
			s := benchService(b, a.key(b), now)
			spec := benchSpec(now)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Sign(spec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	now := time.Now().Truncate(time.Second)
	for _, a := range benchAlgs {
		b.Run(a.name, func(b *testing.B) {
			s := benchService(b, a.key(b), now)
			raw, err := s.Sign(benchSpec(now))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Verify(raw, TypeAccess); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
