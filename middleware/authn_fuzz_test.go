package middleware

import (
	"net/http"
	"strings"
	"testing"

	"authsvc/apierr"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, h := range []string{
		"", "Bearer abc.def.ghi", "bearer abc", "BEARER  abc ", "Bearer", "Bearer ", "Bearer a b",
		"Bearer\tabc", "Token 0123456789abcdef", "token a b", "Basic dXNlcjpwdw==", "Bearer a\tb",
		" Bearer abc", "Bearer " + strings.Repeat("a", maxAuthHeader), "Bearer \x00", "Bearer é",
	} {
		f.Add(h, true)
		f.Add(h, false)
	}
	f.Fuzz(func(t *testing.T, h string, tokenScheme bool) {
		cred, err := ParseAuthorization(h, tokenScheme)
		if err != nil {
			e, ok := apierr.As(err)
			if !ok || e.Status != http.StatusUnauthorized {
				t.Fatalf("%q: error %v is not a 401", h, err)
			}
			if cred != (Credential{}) {
				t.Fatalf("%q: error with a credential %+v", h, cred)
			}
			return
		}
		if len(h) > maxAuthHeader {
			t.Fatalf("oversized header (%d bytes) accepted", len(h))
		}
		switch cred.Scheme {
		case "":
			if cred.Value != "" {
				t.Fatalf("%q: value without scheme", h)
			}
		case SchemeBearer, SchemeToken:
			if cred.Scheme == SchemeToken && !tokenScheme {
				t.Fatalf("%q: Token scheme when not offered", h)
			}
			if !strings.EqualFold(h[:len(cred.Scheme)], cred.Scheme) || h[len(cred.Scheme)] != ' ' {
				t.Fatalf("%q: scheme %s is not the header's", h, cred.Scheme)
			}
			if cred.Value == "" || strings.ContainsAny(cred.Value, " \t") || !strings.Contains(h, cred.Value) {
				t.Fatalf("%q: bad credential %q", h, cred.Value)
			}
		default:
			t.Fatalf("%q: unknown scheme %q", h, cred.Scheme)
		}
	})
}
