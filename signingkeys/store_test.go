package signingkeys_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"authsvc/internal/testserver"
)

const password = "Quartz-Velvet-93-Lantern"

func login(t *testing.T, s *testserver.Server, name string) testserver.Pair {
	t.Helper()
	s.Register(name, password)
	return s.Login(name, password)
}

func header(t *testing.T, token string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatalf("token header: %v", err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatalf("token header: %v", err)
	}
	return h
}

type jwk map[string]string

func jwks(t *testing.T, s *testserver.Server) []jwk {
	t.Helper()
	r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/.well-known/jwks.json"})
	if r.Status != http.StatusOK {
		t.Fatalf("jwks: %d %s", r.Status, r.Body)
	}
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
		t.Errorf("jwks Cache-Control %q, want a max-age", cc)
	}
	var body struct{ Keys []jwk }
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Keys == nil {
		t.Fatalf("jwks body %s: %v", r.Body, err)
	}
	return body.Keys
}

func kids(keys []jwk) []string {
	out := []string{}
	for _, k := range keys {
		out = append(out, k["kid"])
	}
	return out
}

// thumbprint recomputes RFC 7638 by hand, independently of the service.
func thumbprint(k jwk) string {
	var canon string
	switch k["kty"] {
	case "RSA":
		canon = `{"e":"` + k["e"] + `","kty":"RSA","n":"` + k["n"] + `"}`
	case "EC":
		canon = `{"crv":"` + k["crv"] + `","kty":"EC","x":"` + k["x"] + `","y":"` + k["y"] + `"}`
	case "OKP":
		canon = `{"crv":"` + k["crv"] + `","kty":"OKP","x":"` + k["x"] + `"}`
	}
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func profile(s *testserver.Server, access string) int {
	return s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/", Bearer: access}).Status
}

func TestEachAlgorithmSignsAndVerifies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ alg, kty string }{
		{"HS256", ""}, {"RS256", "RSA"}, {"ES256", "EC"}, {"EdDSA", "OKP"},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_SIGNING_ALG": tc.alg}})
			p := login(t, s, "alice")
			for _, tok := range []string{p.Access, p.Refresh} {
				if h := header(t, tok); h["alg"] != tc.alg || h["typ"] != "JWT" || h["kid"] == "" {
					t.Fatalf("header %v, want alg %s, typ JWT and a kid", h, tc.alg)
				}
			}
			if got := profile(s, p.Access); got != http.StatusOK {
				t.Fatalf("profile: %d", got)
			}
			r := s.Post("/api/auth/token/refresh/", map[string]string{"refresh": p.Refresh})
			if r.Status != http.StatusOK {
				t.Fatalf("refresh: %d %s", r.Status, r.Body)
			}
			keys := jwks(t, s)
			if tc.kty == "" {
				if len(keys) != 0 {
					t.Fatalf("HS256 JWKS publishes %v, want none", keys)
				}
				return
			}
			if len(keys) != 1 || keys[0]["kty"] != tc.kty || keys[0]["alg"] != tc.alg || keys[0]["use"] != "sig" {
				t.Fatalf("JWKS %v, want one %s key for %s", keys, tc.kty, tc.alg)
			}
			if kid := header(t, p.Access)["kid"]; kid != keys[0]["kid"] || kid != thumbprint(keys[0]) {
				t.Fatalf("kid %v, JWKS kid %s, RFC 7638 thumbprint %s: want all equal", kid, keys[0]["kid"], thumbprint(keys[0]))
			}
			for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
				if _, ok := keys[0][private]; ok {
					t.Fatalf("JWKS leaks private member %q", private)
				}
			}
		})
	}
}

// TestKeyFile imports PEM keys in each accepted encoding; the kid is the
// thumbprint of the file's key.
func TestKeyFile(t *testing.T) {
	t.Parallel()
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	ecDER, _ := x509.MarshalECPrivateKey(ecKey)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edKey)
	rsa8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	for _, tc := range []struct {
		name, alg, block string
		der              []byte
		pub              crypto.PublicKey
	}{
		{"RSA PKCS1", "RS256", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey), &rsaKey.PublicKey},
		{"RSA PKCS8", "RS256", "PRIVATE KEY", rsa8, &rsaKey.PublicKey},
		{"EC SEC1", "ES256", "EC PRIVATE KEY", ecDER, &ecKey.PublicKey},
		{"Ed25519 PKCS8", "EdDSA", "PRIVATE KEY", edDER, edKey.Public()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			file := filepath.Join(dir, "key.pem")
			if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: tc.block, Bytes: tc.der}), 0o600); err != nil {
				t.Fatal(err)
			}
			s := testserver.New(t, testserver.Options{Dir: dir, Env: map[string]string{
				"AUTH_SIGNING_ALG": tc.alg, "AUTH_SIGNING_KEY_FILE": file}})
			p := login(t, s, "bob")
			if got, want := header(t, p.Access)["kid"], thumbprint(jwkOf(tc.pub)); got != want {
				t.Fatalf("kid %v, want the file key's thumbprint %s", got, want)
			}
		})
	}
}

func jwkOf(pub crypto.PublicKey) jwk {
	b64 := base64.RawURLEncoding.EncodeToString
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return jwk{"kty": "RSA", "n": b64(p.N.Bytes()), "e": b64(big.NewInt(int64(p.E)).Bytes())}
	case *ecdsa.PublicKey:
		return jwk{"kty": "EC", "crv": "P-256", "x": b64(p.X.FillBytes(make([]byte, 32))), "y": b64(p.Y.FillBytes(make([]byte, 32)))}
	case ed25519.PublicKey:
		return jwk{"kty": "OKP", "crv": "Ed25519", "x": b64(p)}
	}
	return nil
}

// TestHMACForgedWithPublicKeyRefused is the algorithm-confusion attack: an
// HS256 token whose HMAC secret is the service's public key, in every
// encoding an attacker might try, with a valid kid and valid claims.
func TestHMACForgedWithPublicKeyRefused(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_SIGNING_ALG": "RS256"}})
	p := login(t, s, "mallory")
	k := jwks(t, s)[0]
	n, _ := base64.RawURLEncoding.DecodeString(k["n"])
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
	pkix, _ := x509.MarshalPKIXPublicKey(pub)
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(p.Access, claims); err != nil {
		t.Fatal(err)
	}
	for name, secret := range map[string][]byte{
		"PKIX PEM":  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}),
		"PKCS1 PEM": pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(pub)}),
		"DER":       pkix,
	} {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
		tok.Header["kid"] = k["kid"]
		forged, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		if got := profile(s, forged); got != http.StatusUnauthorized {
			t.Errorf("%s: forged HS256 token answered %d, want 401", name, got)
		}
	}
	if got := profile(s, p.Access); got != http.StatusOK {
		t.Fatalf("genuine token: %d (the test would prove nothing)", got)
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ issuer, want string }{{"", ""}, {"https://auth.example.com", "https://auth.example.com"}} {
		s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_SIGNING_ALG": "EdDSA", "AUTH_ISSUER": tc.issuer}})
		want := tc.want
		if want == "" {
			want = s.URL
		}
		r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/.well-known/openid-configuration"})
		m := r.JSON(t)
		algs, _ := m["id_token_signing_alg_values_supported"].([]any)
		if r.Status != http.StatusOK || m["issuer"] != want || m["jwks_uri"] != want+"/.well-known/jwks.json" ||
			len(algs) != 1 || algs[0] != "EdDSA" {
			t.Fatalf("issuer %q: %d %s", tc.issuer, r.Status, r.Body)
		}
	}
}
