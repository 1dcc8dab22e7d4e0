package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the access token claims a resource server cares about.
//
// AuthTime and AMR say how the user logged in (OpenID Connect's auth_time
// and RFC 8176's amr): AuthTime is when the credentials were last proved (a
// refresh keeps it), AMR the methods used, ["pwd"] for a password alone and
// ["pwd", "otp", "mfa"] after a second factor. Both are optional: tokens
// issued before the service had them carry neither, and then AuthTime is
// nil and AMR empty, which the helpers below treat as the weakest login.
type Claims struct {
	TokenType string       `json:"token_type"`
	UserID    int64        `json:"user_id"`
	Username  string       `json:"username,omitempty"`
	IsStaff   bool         `json:"is_staff,omitempty"`
	AuthTime  *NumericTime `json:"auth_time,omitempty"`
	// AMR is a JSON array of strings; anything else (a bare string) fails
	// decoding, so the token is refused rather than misread.
	AMR []string `json:"amr,omitempty"`
	jwt.RegisteredClaims
}

// NumericTime is a time claim that must be a JSON number of seconds.
// golang-jwt's NumericDate also takes a quoted number ("auth_time": "1"),
// which no issuer following RFC 7519 sends; refusing it keeps a mangled
// claim from passing as a time.
type NumericTime struct{ jwt.NumericDate }

// UnmarshalJSON refuses anything but a number (null never gets here: it
// leaves the pointer nil, like an absent claim).
func (n *NumericTime) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] == '"' {
		return errors.New("auth_time is not a JSON number")
	}
	return n.NumericDate.UnmarshalJSON(b)
}

// HasAMR reports whether the login behind the token used method m ("mfa":
// more than one factor; "otp": a one-time code; "pwd": a password).
func (c *Claims) HasAMR(m string) bool { return slices.Contains(c.AMR, m) }

// AuthenticatedWithin reports whether the credentials were proved at most
// maxAge before now. A token without auth_time is never recent: it says
// nothing about when the user last proved anything.
func (c *Claims) AuthenticatedWithin(maxAge time.Duration, now time.Time) bool {
	return c.AuthTime != nil && now.Sub(c.AuthTime.Time) <= maxAge
}

// Verifier checks access tokens against a JWKS URL. Keys are cached by kid
// and the set is fetched again when a token names a kid not seen yet (a
// rotation), so the verifier follows rotations without restart.
type Verifier struct {
	url    string
	client *http.Client
	parser *jwt.Parser

	mu   sync.Mutex
	keys map[string]crypto.PublicKey
}

// NewVerifier pins the asymmetric algorithms: an HS256 token (for instance
// one "signed" with the public key as an HMAC secret) or alg none is refused
// before any key is looked at.
func NewVerifier(jwksURL string, client *http.Client) *Verifier {
	return &Verifier{
		url:    jwksURL,
		client: client,
		parser: jwt.NewParser(jwt.WithValidMethods([]string{"RS256", "ES256", "EdDSA"}), jwt.WithExpirationRequired()),
		keys:   map[string]crypto.PublicKey{},
	}
}

// Verify returns the claims of a valid access token.
func (v *Verifier) Verify(raw string) (*Claims, error) {
	c := new(Claims)
	if _, err := v.parser.ParseWithClaims(raw, c, v.key); err != nil {
		return nil, err
	}
	if c.TokenType != "access" {
		return nil, errors.New("not an access token")
	}
	return c, nil
}

func (v *Verifier) key(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, errors.New("token has no kid")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	k, ok := v.keys[kid]
	if !ok {
		if err := v.fetch(); err != nil {
			return nil, err
		}
		if k, ok = v.keys[kid]; !ok {
			return nil, fmt.Errorf("unknown kid %q", kid)
		}
	}
	if !algFits(t.Method.Alg(), k) {
		return nil, fmt.Errorf("alg %s does not match key %s", t.Method.Alg(), kid)
	}
	return k, nil
}

type jwk struct {
	Kty, Kid, Alg, Crv, N, E, X, Y string
}

// fetch replaces the cached keys with the JWKS (callers hold mu).
func (v *Verifier) fetch() error {
	resp, err := v.client.Get(v.url)
	if err != nil {
		return fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch JWKS: %s", resp.Status)
	}
	var set struct{ Keys []jwk }
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("decode JWKS: %w", err)
	}
	keys := map[string]crypto.PublicKey{}
	for _, k := range set.Keys {
		pub, err := k.public()
		if err != nil {
			continue // a key type this verifier does not know: skip it
		}
		keys[k.Kid] = pub
	}
	v.keys = keys
	return nil
}

func (k jwk) public() (crypto.PublicKey, error) {
	b := func(s string) []byte { out, _ := base64.RawURLEncoding.DecodeString(s); return out }
	switch {
	case k.Kty == "RSA":
		return &rsa.PublicKey{N: new(big.Int).SetBytes(b(k.N)), E: int(new(big.Int).SetBytes(b(k.E)).Int64())}, nil
	case k.Kty == "EC" && k.Crv == "P-256":
		x, y := b(k.X), b(k.Y)
		return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	case k.Kty == "OKP" && k.Crv == "Ed25519" && len(b(k.X)) == ed25519.PublicKeySize:
		return ed25519.PublicKey(b(k.X)), nil
	}
	return nil, fmt.Errorf("unsupported key %s/%s", k.Kty, k.Crv)
}

func algFits(alg string, k crypto.PublicKey) bool {
	switch k.(type) {
	case *rsa.PublicKey:
		return alg == "RS256"
	case *ecdsa.PublicKey:
		return alg == "ES256"
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}
