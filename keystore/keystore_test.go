package keystore_test

import (
	"bytes"
	"context"
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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"authsvc/config"
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

// TestRotation: a token signed by the rotated-out key keeps verifying until
// it expires; the old key stays in the JWKS until the last token it signed
// (a refresh token, 24 h) has expired, then drops out.
func TestRotation(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_SIGNING_ALG": "RS256"}})
	ctx := context.Background()
	old := login(t, s, "carol")
	oldKid := header(t, old.Access)["kid"].(string)
	if got := kids(jwks(t, s)); len(got) != 1 || got[0] != oldKid {
		t.Fatalf("JWKS before rotation %v, want [%s]", got, oldKid)
	}

	var out, errOut bytes.Buffer
	if code, err := s.App.Keys.Command(ctx, []string{"rotate"}, &out, &errOut); code != 0 || err != nil {
		t.Fatalf("keys rotate: %d %v %s", code, err, errOut.String())
	}
	if err := s.App.ReloadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	// Published first: in the JWKS at once, but the old key still signs
	// until the publish delay has passed.
	if got := kids(jwks(t, s)); len(got) != 2 || got[0] != oldKid {
		t.Fatalf("JWKS while the new key is pending %v, want [%s, new]", got, oldKid)
	}
	if kid := header(t, s.Login("carol", password).Access)["kid"]; kid != oldKid {
		t.Fatalf("pending key signs already: kid %v", kid)
	}
	s.Clock.Advance(config.DefaultKeyPublishDelay)
	if err := s.App.ReloadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := s.Login("carol", password)
	newKid := header(t, fresh.Access)["kid"].(string)
	if newKid == oldKid || !strings.Contains(out.String(), newKid) {
		t.Fatalf("after rotation kid %s (old %s), rotate said %q", newKid, oldKid, out.String())
	}
	if got := kids(jwks(t, s)); len(got) != 2 || got[0] != newKid || got[1] != oldKid {
		t.Fatalf("JWKS after rotation %v, want [%s %s]", got, newKid, oldKid)
	}
	if got := profile(s, old.Access); got != http.StatusOK {
		t.Fatalf("old-key access token before expiry: %d, want 200", got)
	}
	out.Reset()
	if code, err := s.App.Keys.Command(ctx, []string{"list"}, &out, &errOut); code != 0 || err != nil ||
		!strings.Contains(out.String(), newKid+"  RS256  current") || !strings.Contains(out.String(), oldKid+"  RS256  retired") {
		t.Fatalf("keys list: %d %v\n%s", code, err, out.String())
	}

	s.Clock.Advance(31 * time.Minute) // past the 30 min access TTL
	if got := profile(s, old.Access); got != http.StatusUnauthorized {
		t.Fatalf("old-key access token after expiry: %d, want 401", got)
	}
	s.Clock.Advance(24 * time.Hour) // past the refresh TTL: no old-key token can be valid
	if err := s.App.ReloadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if got := kids(jwks(t, s)); len(got) != 1 || got[0] != newKid {
		t.Fatalf("JWKS after the old key's last token expired %v, want [%s]", got, newKid)
	}
	r := s.Post("/api/auth/token/verify/", map[string]string{"token": old.Refresh})
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("old-key refresh token after its key expired: %d, want 401", r.Status)
	}
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

// TestRotationReachesOtherInstance: two instances on one database; a
// rotation made through one is published by the other at its key poller's
// next poll, with no restart, and once its signing time has come the other
// signs with it and the first accepts that. The test waits for B's poller to
// finish a poll begun after the rotation (a hook, not the wall clock), so a
// busy machine makes it slower, never red.
func TestRotationReachesOtherInstance(t *testing.T) {
	t.Parallel()
	dir, clock := t.TempDir(), testserver.NewClock()
	env := map[string]string{"AUTH_SIGNING_ALG": "ES256"}
	a := testserver.New(t, testserver.Options{Dir: dir, Clock: clock, Env: env})
	b := testserver.New(t, testserver.Options{Dir: dir, Clock: clock, Env: env})
	if ka, kb := kids(jwks(t, a)), kids(jwks(t, b)); len(ka) != 1 || len(kb) != 1 || ka[0] != kb[0] {
		t.Fatalf("instances start with different keys: %v %v", ka, kb)
	}
	key, _, err := a.App.Keys.Rotate(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	b.AwaitKeyPolls(t, 1)
	if got := kids(jwks(t, b)); !slices.Contains(got, key.ID) {
		t.Fatalf("B publishes %v after a poll that began after the rotation to %s", got, key.ID)
	}
	// The signing time: B switches at its next poll; here, explicitly.
	clock.Advance(config.DefaultKeyPublishDelay)
	if err := b.App.ReloadKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := login(t, b, "erin")
	if kid := header(t, p.Access)["kid"]; kid != key.ID {
		t.Fatalf("B signs with %v, want the rotated-in %s", kid, key.ID)
	}
	if got := profile(a, p.Access); got != http.StatusOK {
		t.Fatalf("A rejects B's token: %d", got)
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
