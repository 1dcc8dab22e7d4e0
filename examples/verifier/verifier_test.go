package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"authsvc/internal/testserver"
)

// TestVerifiesRealTokens starts the service and verifies tokens it issued
// using only its JWKS URL, and follows a key rotation.
func TestVerifiesRealTokens(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_SIGNING_ALG": alg}})
			const pw = "Quartz-Velvet-93-Lantern"
			s.Register("rita", pw)
			p := s.Login("rita", pw)
			v := NewVerifier(s.URL+"/.well-known/jwks.json", s.Client)
			c, err := v.Verify(p.Access)
			if err != nil {
				t.Fatalf("verify a real %s token: %v", alg, err)
			}
			if c.Username != "rita" || c.Subject != "1" {
				t.Fatalf("claims %+v", c)
			}
			if _, err := v.Verify(p.Refresh); err == nil {
				t.Fatal("refresh token accepted as access token")
			}
			parts := strings.Split(p.Access, ".")
			tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
			if _, err := v.Verify(tampered); err == nil {
				t.Fatal("tampered signature accepted")
			}
			hs, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte("anything"))
			if _, err := v.Verify(hs); err == nil {
				t.Fatal("HS256 token accepted")
			}

			if _, _, err := s.App.SigningKeys.Rotate(t.Context(), true); err != nil {
				t.Fatal(err)
			}
			if err := s.App.ReloadKeys(t.Context()); err != nil {
				t.Fatal(err)
			}
			next := s.Login("rita", pw)
			if _, err := v.Verify(next.Access); err != nil {
				t.Fatalf("token from the rotated-in key: %v", err)
			}
			if _, err := v.Verify(p.Access); err != nil {
				t.Fatalf("token from the retired key: %v", err)
			}
			if r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/", Bearer: next.Access}); r.Status != http.StatusOK {
				t.Fatalf("service refuses its own token: %d", r.Status)
			}
		})
	}
}
