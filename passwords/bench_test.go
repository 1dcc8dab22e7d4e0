package passwords

import (
	"context"
	"testing"
)

// BenchmarkHash and BenchmarkVerify cost one argon2id computation each with
// the production parameters (OWASP): the price of a registration and a login.
func BenchmarkHash(b *testing.B) {
	h := NewHasher(OWASP, 0)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "Correct-Horse-Battery-Staple-47"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h := NewHasher(OWASP, 0)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "Correct-Horse-Battery-Staple-47")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "Correct-Horse-Battery-Staple-47", enc); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
