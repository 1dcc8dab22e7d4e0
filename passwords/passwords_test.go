package passwords_test

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"authsvc/passwords"
)

var cheap = passwords.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := passwords.NewHasher(cheap, 0)
	enc, err := h.Hash(ctx, "s3cret-Pass")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(enc, "s3cret") {
		t.Fatalf("encoding %q", enc)
	}
	again, _ := h.Hash(ctx, "s3cret-Pass")
	if again == enc {
		t.Errorf("two hashes of one password are equal: no salt")
	}
	cases := []struct {
		name, pw, enc string
		ok            bool
		err           bool
	}{
		{"right", "s3cret-Pass", enc, true, false},
		{"wrong", "s3cret-pass", enc, false, false},
		{"prefix only", "s3cret", enc, false, false},
		{"unknown user (empty hash)", "s3cret-Pass", "", false, false},
		{"malformed", "s3cret-Pass", "$argon2id$v=19$garbage", false, true},
		{"other algorithm", "s3cret-Pass", "bcrypt$xyz", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, c.pw, c.enc)
			if ok != c.ok || (err != nil) != c.err || rehash {
				t.Errorf("Verify = %v, %v, %v", ok, rehash, err)
			}
		})
	}
	// Nothing is truncated: a long password differs from its prefix.
	long := strings.Repeat("x", 1000)
	encLong, _ := h.Hash(ctx, long+"A")
	if ok, _, _ := h.Verify(ctx, long+"B", encLong); ok {
		t.Errorf("long passwords differing at the end match")
	}
}

func TestNeedsRehashWhenParamsChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	old := passwords.NewHasher(cheap, 1)
	enc, _ := old.Hash(ctx, "pw-to-upgrade")
	raised := cheap
	raised.Time = 2
	newer := passwords.NewHasher(raised, 1)
	ok, rehash, err := newer.Verify(ctx, "pw-to-upgrade", enc)
	if !ok || !rehash || err != nil {
		t.Errorf("old params: Verify = %v, %v, %v; want match and rehash", ok, rehash, err)
	}
	if ok, rehash, _ := newer.Verify(ctx, "wrong", enc); ok || rehash {
		t.Errorf("wrong password asks for a rehash")
	}
	enc2, _ := newer.Hash(ctx, "pw-to-upgrade")
	if ok, rehash, _ := newer.Verify(ctx, "pw-to-upgrade", enc2); !ok || rehash {
		t.Errorf("current params: rehash requested")
	}
}

func TestDjangoPBKDF2(t *testing.T) {
	t.Parallel()
	// RFC 7914's PBKDF2-HMAC-SHA256 vector pins the primitive the check uses.
	k, err := pbkdf2.Key(sha256.New, "passwd", []byte("salt"), 1, 64)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(k[:16]) != "55ac046e56e3089fec1691c22544b605" {
		t.Fatalf("pbkdf2 vector mismatch: %x", k)
	}
	djangoHash := func(pw, salt string, iter int) string {
		k, err := pbkdf2.Key(sha256.New, pw, []byte(salt), iter, sha256.Size)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("pbkdf2_sha256$%d$%s$%s", iter, salt, base64.StdEncoding.EncodeToString(k))
	}
	enc := djangoHash("lètmein-django", "seasalt2024", 1000)
	h := passwords.NewHasher(cheap, 0)
	ctx := context.Background()
	cases := []struct {
		name, pw, enc  string
		ok, rehash, er bool
	}{
		{"right password", "lètmein-django", enc, true, true, false},
		{"wrong password", "letmein-django", enc, false, false, false},
		{"bad iterations", "lètmein-django", "pbkdf2_sha256$x$salt$AAAA", false, false, true},
		{"too many iterations", "lètmein-django", "pbkdf2_sha256$99999999$salt$AAAA", false, false, true},
		{"bad base64", "lètmein-django", "pbkdf2_sha256$1000$salt$!!!", false, false, true},
		{"missing part", "lètmein-django", "pbkdf2_sha256$1000$salt", false, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, c.pw, c.enc)
			if ok != c.ok || rehash != c.rehash || (err != nil) != c.er {
				t.Errorf("Verify = %v, %v, %v", ok, rehash, err)
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	p := passwords.NewPolicy()
	cases := []struct {
		pw, user, email, want string
	}{
		{"Tq9!vessel-orbit", "bob", "", ""},
		{"short1!", "bob", "", "too short"},
		{"12345678901", "bob", "", "entirely numeric"},
		{"password", "bob", "", "too common"},
		{"PASSWORD", "bob", "", "too common"},
		{"margaretha99", "margaretha", "", "similar to the username"},
		{"orbitalwidget7", "bob", "orbitalwidget@example.com", "similar to the email address"},
		{strings.Repeat("a", 1025), "bob", "", "1024 bytes"},
	}
	for _, c := range cases {
		t.Run(c.pw[:min(len(c.pw), 20)], func(t *testing.T) {
			got := strings.Join(p.Check(c.pw, c.user, c.email), " | ")
			if c.want == "" && got != "" || !strings.Contains(got, c.want) {
				t.Errorf("Check = %q, want %q", got, c.want)
			}
		})
	}
}

// While imported PBKDF2 hashes remain, every failed check is padded to the
// slowest of them, so the padding is capped at the most iterations a hash
// may have to be checked at all (Django 5.2's default, 1,000,000): a hash
// asking for more is refused as malformed at the cost of the padding alone,
// and a pending count above the cap pads to the cap, not to the count.
// Before, one row at 10,000,000 iterations made every failed check cost
// that (seconds of CPU, holding a hashing slot).
func TestPBKDF2PaddingIsCapped(t *testing.T) {
	t.Parallel()
	const limit = 1_000_000 // Django 5.2's default iterations
	h := passwords.NewHasher(cheap, 1)
	ctx := context.Background()
	h.SetPendingPBKDF2(10_000_000)
	before := h.Work()
	if ok, _, err := h.Verify(ctx, "wrong", ""); ok || err != nil {
		t.Fatalf("unknown user: Verify = %v, %v", ok, err)
	}
	if got := h.Work().Sub(before).PBKDF2Iterations; got != limit {
		t.Fatalf("failed check padded with %d PBKDF2 iterations, want the cap %d", got, limit)
	}
	h.SetPendingPBKDF2(0)
	before = h.Work()
	huge := fmt.Sprintf("pbkdf2_sha256$%d$salt$AAAA", limit+1)
	if ok, _, err := h.Verify(ctx, "any", huge); ok || !errors.Is(err, passwords.ErrMalformedHash) {
		t.Fatalf("hash above the cap: Verify = %v, %v; want ErrMalformedHash", ok, err)
	}
	if got := h.Work().Sub(before); got.PBKDF2Iterations != 0 || got.Argon2 != 1 {
		t.Fatalf("hash above the cap cost %+v, want the padding alone (one argon2id)", got)
	}
}
