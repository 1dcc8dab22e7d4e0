package mfa

import (
	"strings"
	"testing"
	"time"
)

func TestEnrolmentAndSteps(t *testing.T) {
	t.Parallel()
	e, err := NewEnrolment("authsvc", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Secret) != 32 || !strings.HasPrefix(e.URI, "otpauth://totp/authsvc:alice?") ||
		!strings.HasPrefix(e.QRPNG, "data:image/png;base64,iVBOR") {
		t.Fatalf("enrolment = %+v", e)
	}
	now := time.Unix(1_800_000_015, 0)
	code := func(d time.Duration) string {
		c, err := Code(e.Secret, now.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cur := Step(now)
	cases := []struct {
		name   string
		code   string
		last   int64
		want   int64
		wantOK bool
	}{
		{"current step", code(0), 0, cur, true},
		{"previous step (drift)", code(-Period), 0, cur - 1, true},
		{"next step (drift)", code(Period), 0, cur + 1, true},
		{"two steps old", code(-2 * Period), 0, 0, false},
		{"two steps ahead", code(2 * Period), 0, 0, false},
		{"already used step", code(0), cur, 0, false},
		{"older than the last used", code(-Period), cur, 0, false},
		{"newer than the last used", code(Period), cur, cur + 1, true},
		{"not digits", "12a456", 0, 0, false},
		{"too short", "12345", 0, 0, false},
		{"empty", "", 0, 0, false},
	}
	for _, c := range cases {
		step, ok := MatchStep(e.Secret, c.code, now, c.last)
		if ok != c.wantOK || step != c.want {
			t.Errorf("%s: MatchStep = %d, %v; want %d, %v", c.name, step, ok, c.want, c.wantOK)
		}
	}
	if _, ok := MatchStep("not base32!", "123456", now, 0); ok {
		t.Error("a broken secret matched")
	}
}

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	codes := NewRecoveryCodes()
	if len(codes) != RecoveryCodes {
		t.Fatalf("%d codes", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 11 || c[5] != '-' || NormalizeRecovery(c) == "" || seen[c] {
			t.Fatalf("bad or repeated code %q", c)
		}
		seen[c] = true
	}
	h := NewRecoveryHasher([]byte("key"))
	other := NewRecoveryHasher([]byte("other key"))
	c := codes[0]
	stored := []string{h.Hash(7, codes[1]), h.Hash(7, c)}
	cases := []struct {
		name string
		hash string
		want int
	}{
		{"as shown", h.Hash(7, c), 1},
		{"upper case, spaces", h.Hash(7, strings.ToUpper(c[:5])+" "+c[6:]), 1},
		{"no dash", h.Hash(7, c[:5]+c[6:]), 1},
		{"another user", h.Hash(8, c), -1},
		{"another key", other.Hash(7, c), -1},
		{"not a code", h.Hash(7, "123456"), -1},
		{"empty", h.Hash(7, ""), -1},
	}
	for _, tc := range cases {
		if got := Match(stored, tc.hash); got != tc.want {
			t.Errorf("%s: Match = %d, want %d", tc.name, got, tc.want)
		}
	}
	if strings.Contains(strings.Join(stored, ""), NormalizeRecovery(c)) {
		t.Error("stored hash holds the code")
	}
}
