package handlers_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

// TestJWTNumericDateRange: exp, nbf and iat outside what a time can hold
// (int64 seconds overflow: 1e19 wrapped to a date far in the past and
// passed the iat and nbf checks) or beyond year 9999 are malformed, and a
// well-signed token carrying one is refused like any other bad token.
func TestJWTNumericDateRange(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pair, _ := s.NewUser("dateuser")
	hdr, cl := decoded(t, pair.Access)
	cases := []struct {
		name  string
		claim string
		value json.Number
	}{
		{"iat 1e19", "iat", "1e19"},
		{"iat 1e300", "iat", "1e300"},
		{"iat -1e19", "iat", "-1e19"},
		{"iat negative", "iat", "-1"},
		{"nbf 1e19", "nbf", "1e19"},
		{"nbf 18446744073709551616", "nbf", "18446744073709551616"},
		{"nbf -1e19", "nbf", "-1e19"},
		{"exp 1e19", "exp", "1e19"},
		{"exp 9e18", "exp", "9e18"},
		{"exp after year 9999", "exp", "253402300800"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok := forged(t, hdr, with(cl, tc.claim, tc.value))
			wantTokenInvalid(t, profile(s, tok))
			wantTokenInvalid(t, s.Post("/api/auth/token/verify/", map[string]string{"token": tok}))
		})
	}
	// Control: the same forging with an in-range date is accepted, so the
	// refusals above are about the range and nothing else.
	if r := profile(s, forged(t, hdr, with(cl, "iat", cl["iat"]))); r.Status != http.StatusOK {
		t.Fatalf("control: %d %s", r.Status, r.Body)
	}
}
