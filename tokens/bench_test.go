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
	{"RS256", asymKey("RS256")},
	{"ES256", asymKey("ES256")},
	{"EdDSA", asymKey("EdDSA")},
}

func asymKey(alg string) func(testing.TB) *Key {
	return func(tb testing.TB) *Key {
		priv, err := GenerateKey(alg)
		if err != nil {
			tb.Fatal(err)
		}
		k, err := NewAsymmetricKey(alg, priv)
		if err != nil {
			tb.Fatal(err)
		}
		return k
	}
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

// BenchmarkVerify is the full check (signature, claims) that a token seen
// for the first time gets; BenchmarkVerifyCached is every later check of the
// same token, answered by the verified-token cache.
func BenchmarkVerify(b *testing.B) {
	now := time.Now().Truncate(time.Second)
	for _, a := range benchAlgs {
		b.Run(a.name, func(b *testing.B) {
			s := benchService(b, a.key(b), now)
			raw, err := s.Sign(benchSpec(now))
			if err != nil {
				b.Fatal(err)
			}
			keys := s.Keys()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.verify(raw, keys); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	now := time.Now().Truncate(time.Second)
	s := benchService(b, benchAlgs[0].key(b), now)
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
}
