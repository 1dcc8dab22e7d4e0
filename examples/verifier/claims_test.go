package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"authsvc/internal/testserver"
	"authsvc/tokens"
)

// TestLoginClaims checks that auth_time and amr reach the caller, with the
// types the service issues them in and nothing looser.
func TestLoginClaims(t *testing.T) {
	t.Parallel()
	v, sign := serviceKey(t)
	login := time.Unix(1_700_000_000, 0)
	cases := []struct {
		name     string
		extra    jwt.MapClaims
		refused  bool
		amr      []string
		mfa      bool
		authTime time.Time // zero: absent
	}{
		{"password login", jwt.MapClaims{"auth_time": login.Unix(), "amr": []string{"pwd"}}, false, []string{"pwd"}, false, login},
		{"second factor", jwt.MapClaims{"auth_time": login.Unix(), "amr": []string{"pwd", "otp", "mfa"}}, false, []string{"pwd", "otp", "mfa"}, true, login},
		{"token from before the claims", nil, false, nil, false, time.Time{}},
		{"null auth_time", jwt.MapClaims{"auth_time": nil}, false, nil, false, time.Time{}},
		{"auth_time as a string", jwt.MapClaims{"auth_time": "1700000000", "amr": []string{"pwd"}}, true, nil, false, time.Time{}},
		{"amr as a string", jwt.MapClaims{"auth_time": login.Unix(), "amr": "mfa"}, true, nil, false, time.Time{}},
		{"amr with a number", jwt.MapClaims{"amr": []any{"pwd", 1}}, true, nil, false, time.Time{}},
	}
	for _, tc := range cases {
		c, err := v.Verify(sign(tc.extra))
		if tc.refused {
			if err == nil {
				t.Errorf("%s: accepted: %+v", tc.name, c)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !slices.Equal(c.AMR, tc.amr) || c.HasAMR("mfa") != tc.mfa {
			t.Errorf("%s: amr %q, HasAMR(mfa) %v", tc.name, c.AMR, c.HasAMR("mfa"))
		}
		if tc.authTime.IsZero() != (c.AuthTime == nil) || (c.AuthTime != nil && !c.AuthTime.Equal(tc.authTime)) {
			t.Errorf("%s: auth_time %v, want %v", tc.name, c.AuthTime, tc.authTime)
		}
		recent := c.AuthenticatedWithin(10*time.Minute, login.Add(10*time.Minute))
		stale := c.AuthenticatedWithin(10*time.Minute, login.Add(10*time.Minute+time.Second))
		if recent != !tc.authTime.IsZero() || stale {
			t.Errorf("%s: within 10m at +10m %v, at +10m1s %v", tc.name, recent, stale)
		}
	}
}

// serviceKey starts the real service on a signing key the test holds
// (AUTH_SIGNING_KEY_FILE), so that tokens the test signs with claims of its
// choosing are found in the service's own JWKS, as a real token's key is.
// The verifier checks exp against the wall clock, hence time.Now there.
func serviceKey(t *testing.T) (*Verifier, func(jwt.MapClaims) string) {
	priv, err := tokens.GenerateKey("EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := tokens.MarshalPrivateKeyPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "signing.pem")
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := tokens.NewAsymmetricKey("EdDSA", priv)
	if err != nil {
		t.Fatal(err)
	}
	s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_SIGNING_ALG": "EdDSA", "AUTH_SIGNING_KEY_FILE": keyFile}})
	sign := func(extra jwt.MapClaims) string {
		c := jwt.MapClaims{"token_type": "access", "user_id": 7, "sub": "7", "exp": time.Now().Add(time.Hour).Unix()}
		for k, val := range extra {
			c[k] = val
		}
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
		tok.Header["kid"] = key.ID
		raw, err := tok.SignedString(priv)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	return NewVerifier(s.URL+"/.well-known/jwks.json", s.Client), sign
}
