package tokens

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
	"fmt"
	"math/big"

	"github.com/golang-jwt/jwt/v5"
)

// IsAsymmetric reports whether alg signs with a private key and publishes a
// public one.
func IsAsymmetric(alg string) bool {
	switch alg {
	case "RS256", "ES256", "EdDSA":
		return true
	}
	return false
}

// GenerateKey makes a new private key for alg: RSA 2048, P-256 or Ed25519.
func GenerateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case "RS256":
		return rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("tokens: %s has no key pair", alg)
}

// ParsePrivateKeyPEM reads the first private key block of a PEM file:
// PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC 1 ("EC PRIVATE
// KEY").
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("no private key PEM block found")
		}
		var k any
		var err error
		switch b.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", b.Type, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported private key type %T", k)
		}
		return s, nil
	}
}

// MarshalPrivateKeyPEM encodes k as PKCS#8 PEM.
func MarshalPrivateKeyPEM(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// NewAsymmetricKey wraps a private key for alg, checking that the key fits
// the algorithm (RSA of at least 2048 bits for RS256, P-256 for ES256,
// Ed25519 for EdDSA). Its kid is the RFC 7638 thumbprint of the public key.
func NewAsymmetricKey(alg string, priv crypto.Signer) (*Key, error) {
	k, err := NewPublicKey(alg, priv.Public())
	if err != nil {
		return nil, err
	}
	k.private = priv
	return k, nil
}

// NewPublicKey is a verify-only key (a retired key whose private half is no
// longer needed, or a key read from a JWKS).
func NewPublicKey(alg string, pub crypto.PublicKey) (*Key, error) {
	var m jwt.SigningMethod
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if alg != "RS256" {
			return nil, fmt.Errorf("an RSA key cannot sign %s", alg)
		}
		if p.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA key has %d bits, want at least 2048", p.N.BitLen())
		}
		m = jwt.SigningMethodRS256
	case *ecdsa.PublicKey:
		if alg != "ES256" || p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("an EC key on %s cannot sign %s (ES256 needs P-256)", p.Curve.Params().Name, alg)
		}
		m = jwt.SigningMethodES256
	case ed25519.PublicKey:
		if alg != "EdDSA" {
			return nil, fmt.Errorf("an Ed25519 key cannot sign %s", alg)
		}
		m = jwt.SigningMethodEdDSA
	default:
		return nil, fmt.Errorf("unsupported public key type %T", pub)
	}
	k := &Key{Alg: alg, method: m, public: pub}
	jwk, err := k.members()
	if err != nil {
		return nil, err
	}
	k.ID = thumbprint(jwk)
	return k, nil
}

// JWK is one public key as published in a JWK Set (RFC 7517).
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// PublicJWK returns the key's public JWK; ok is false for HMAC keys, which
// are never published.
func (k *Key) PublicJWK() (JWK, bool) {
	m, err := k.members()
	if err != nil {
		return JWK{}, false
	}
	return JWK{Kty: m["kty"], Use: "sig", Alg: k.Alg, Kid: k.ID,
		N: m["n"], E: m["e"], Crv: m["crv"], X: m["x"], Y: m["y"]}, true
}

// members are the required public members of the key's JWK: exactly the
// ones RFC 7638 hashes for the thumbprint.
func (k *Key) members() (map[string]string, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	switch p := k.public.(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "n": b64(p.N.Bytes()), "e": b64(big.NewInt(int64(p.E)).Bytes())}, nil
	case *ecdsa.PublicKey:
		// Coordinates are fixed-length (32 bytes on P-256), left-padded.
		raw, err := p.Bytes() // 0x04 || X || Y
		if err != nil {
			return nil, fmt.Errorf("encode EC key: %w", err)
		}
		n := (len(raw) - 1) / 2
		return map[string]string{"kty": "EC", "crv": "P-256", "x": b64(raw[1 : 1+n]), "y": b64(raw[1+n:])}, nil
	case ed25519.PublicKey:
		return map[string]string{"kty": "OKP", "crv": "Ed25519", "x": b64(p)}, nil
	}
	return nil, fmt.Errorf("no JWK for %T", k.public)
}

// thumbprint is RFC 7638: SHA-256 over the required members serialised as
// JSON with keys in lexicographic order and no whitespace, base64url.
// encoding/json writes map keys sorted and without spaces, which is exactly
// that canonical form (the values are base64url and plain names, so no
// escaping differs).
func thumbprint(members map[string]string) string {
	b, _ := json.Marshal(members)
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
