package tokens

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestThumbprintRFC7638 checks the kid against the worked example of
// RFC 7638 section 3.1.
func TestThumbprintRFC7638(t *testing.T) {
	n, _ := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	k, err := NewPublicKey("RS256", &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537})
	if err != nil {
		t.Fatal(err)
	}
	if want := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; k.ID != want {
		t.Fatalf("kid %s, want %s", k.ID, want)
	}
}

func TestKeyMustFitAlgorithm(t *testing.T) {
	t.Parallel()
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ed, _ := GenerateKey("EdDSA")
	rs, _ := GenerateKey("RS256")
	for name, tc := range map[string]struct {
		alg string
		key any
	}{
		"RSA 1024":           {"RS256", small},
		"P-384 for ES256":    {"ES256", p384},
		"Ed25519 for RS256":  {"RS256", ed},
		"RSA for EdDSA":      {"EdDSA", rs},
		"RSA for HS256-like": {"HS256", rs},
	} {
		k, err := NewAsymmetricKey(tc.alg, tc.key.(crypto.Signer))
		if err == nil {
			t.Errorf("%s: accepted as %s (kid %s)", name, tc.alg, k.ID)
		}
	}
	if _, err := ParsePrivateKeyPEM([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")); err == nil {
		t.Error("a PEM without a private key was accepted")
	}
}

func service(t *testing.T, alg string) *Service {
	t.Helper()
	k := asymKey(alg)(t)
	s, err := New(Options{Keys: NewKeySet(k)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func spec() Spec {
	now := time.Now()
	return Spec{Type: TypeAccess, UserID: 7, SessionID: "s1", ID: "j1", IssuedAt: now, ExpiresAt: now.Add(time.Minute)}
}

func TestAsymmetricRoundTrip(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		s := service(t, alg)
		raw, err := s.Sign(spec())
		if err != nil {
			t.Fatalf("%s sign: %v", alg, err)
		}
		if c, err := s.Verify(raw, TypeAccess); err != nil || c.UserID != 7 {
			t.Fatalf("%s verify: %v %+v", alg, err, c)
		}
		// Another key of the same algorithm with the same kid must not verify.
		other := service(t, alg)
		if _, err := other.Verify(raw, TypeAccess); !errors.Is(err, ErrInvalid) {
			t.Fatalf("%s: token verified by a different key: %v", alg, err)
		}
	}
}

// TestHMACWithPublicKeyRefused: the classic algorithm confusion, at the
// token layer.
func TestHMACWithPublicKeyRefused(t *testing.T) {
	t.Parallel()
	s := service(t, "RS256")
	k := s.Keys().Signing
	der, _ := x509.MarshalPKIXPublicKey(k.public)
	pemPub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	sp := spec()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, Claims{TokenType: TypeAccess, UserID: 7, SessionID: "s1",
		Subject: "7", ID: "j1", IssuedAt: NewDate(sp.IssuedAt), ExpiresAt: NewDate(sp.ExpiresAt)})
	tok.Header["kid"] = k.ID
	for _, secret := range [][]byte{pemPub, der} {
		forged, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Verify(forged, TypeAccess); !errors.Is(err, ErrInvalid) {
			t.Fatalf("forged HS256 token: %v, want ErrInvalid", err)
		}
	}
}
