package handlers_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"authsvc/internal/testserver"
)

// parts decodes a real token's header and claims without verifying it.
func parts(t *testing.T, raw string) (header, claims map[string]any) {
	t.Helper()
	c := jwt.MapClaims{}
	tok, _, err := jwt.NewParser().ParseUnverified(raw, c)
	if err != nil {
		t.Fatalf("parse real token: %v", err)
	}
	return tok.Header, c
}

// sign makes a token with the given header fields and claims.
func sign(t *testing.T, m jwt.SigningMethod, key any, header, claims map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, jwt.MapClaims(claims))
	for k, v := range header {
		if k != "alg" {
			tok.Header[k] = v
		}
	}
	out, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return out
}

// hs256Raw signs arbitrary header and payload segments as they are, so a test
// can send a non-canonical encoding with a valid signature over it.
func hs256Raw(h, p string) string {
	m := hmac.New(sha256.New, []byte(testserver.Secret))
	m.Write([]byte(h + "." + p))
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func seg(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestBearerTokenForms(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	pair, _ := s.NewUser("jwtuser")
	header, claims := parts(t, pair.Access)
	if header["kid"] == nil || header["alg"] != "HS256" || header["typ"] != "JWT" {
		t.Fatalf("unexpected header %v", header)
	}
	// The crafting itself is sound: an unchanged re-signed token is accepted,
	// so each case below fails for its own reason only.
	wantStatus(t, profile(s, reSigned(t, header, claims, func(h, c map[string]any) {})), http.StatusOK)

	for _, c := range bearerCases(t, pair, header, claims) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := profile(s, c.token)
			wantTokenInvalid(t, r)
			if r.JSON(t)["detail"] != "Given token not valid for any token type" {
				t.Errorf("detail: %s", r.Body)
			}
		})
	}
}

// reSigned returns a real token's header and claims changed by f, signed
// HS256 with our secret and kid: everything valid except what f changes.
func reSigned(t *testing.T, header, claims map[string]any, f func(h, c map[string]any)) string {
	t.Helper()
	h, c := maps.Clone(header), maps.Clone(claims)
	f(h, c)
	return sign(t, jwt.SigningMethodHS256, []byte(testserver.Secret), h, c)
}

// flipSignature changes one character of raw's signature.
func flipSignature(raw string) string {
	i := strings.LastIndexByte(raw, '.') + 5
	b := []byte(raw)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// paddedPayload signs claims (grown until their base64 needs padding) as a
// payload segment with "=" padding, after header segment h0.
func paddedPayload(t *testing.T, h0 string, claims map[string]any) string {
	t.Helper()
	c := maps.Clone(claims)
	for i := 0; ; i++ {
		c["x"] = strings.Repeat("y", i)
		p := seg(t, c)
		if n := len(p) % 4; n != 0 {
			return hs256Raw(h0, p+strings.Repeat("=", 4-n))
		}
	}
}

// bearerCase is one bearer token that TestBearerTokenForms wants refused.
type bearerCase struct {
	name  string
	token string
}

// bearerCases builds each refused token from pair (a real session) and its
// access token's header and claims.
func bearerCases(t *testing.T, pair testserver.Pair, header, claims map[string]any) []bearerCase {
	t.Helper()
	secret := []byte(testserver.Secret)
	mod := func(f func(h, c map[string]any)) string { return reSigned(t, header, claims, f) }
	h0, p0, _ := strings.Cut(pair.Access, ".")
	p0, sig0, _ := strings.Cut(p0, ".")
	return []bearerCase{
		{"tampered signature", flipSignature(pair.Access)},
		{"tampered payload", h0 + "." + seg(t, func() map[string]any { c := maps.Clone(claims); c["is_staff"] = true; return c }()) + "." + sig0},
		{"alg none", func() string {
			h := maps.Clone(header)
			h["alg"] = "none"
			return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, h, claims)
		}()},
		{"alg none unsigned by hand", seg(t, map[string]any{"alg": "none", "typ": "JWT", "kid": header["kid"]}) + "." + p0 + "."},
		{"HS512 with the right secret", sign(t, jwt.SigningMethodHS512, secret, header, claims)},
		{"HS384 with the right secret", sign(t, jwt.SigningMethodHS384, secret, header, claims)},
		{"another secret", sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-0123456789"), header, claims)},
		{"unknown kid", mod(func(h, c map[string]any) { h["kid"] = "not-our-key" })},
		{"no kid", mod(func(h, c map[string]any) { delete(h, "kid") })},
		{"jwk header", mod(func(h, c map[string]any) { h["jku"] = "https://evil.example/jwks.json" })},
		{"refresh token as access", pair.Refresh},
		{"missing exp", mod(func(h, c map[string]any) { delete(c, "exp") })},
		{"exp string", mod(func(h, c map[string]any) { c["exp"] = "9999999999" })},
		{"exp null", mod(func(h, c map[string]any) { c["exp"] = nil })},
		{"exp 0", mod(func(h, c map[string]any) { c["exp"] = 0 })},
		{"exp past", mod(func(h, c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })},
		{"iat in the future", mod(func(h, c map[string]any) { c["iat"] = time.Now().Add(time.Hour).Unix() })},
		{"user_id string", mod(func(h, c map[string]any) { c["user_id"] = "1" })},
		{"user_id of another user", mod(func(h, c map[string]any) { c["user_id"] = 999; c["sub"] = "999" })},
		{"sub mismatch", mod(func(h, c map[string]any) { c["sub"] = "999" })},
		{"token_type missing", mod(func(h, c map[string]any) { delete(c, "token_type") })},
		{"token_type id", mod(func(h, c map[string]any) { c["token_type"] = "id" })},
		{"unknown session", mod(func(h, c map[string]any) { c["sid"] = "no-such-session" })},
		{"padded base64 segment", paddedPayload(t, h0, claims)},
		{"two segments", h0 + "." + p0},
		{"four segments", pair.Access + ".x"},
		{"bad base64", h0 + ".!!!." + sig0},
		{"payload not JSON", hs256Raw(h0, base64.RawURLEncoding.EncodeToString([]byte("not json")))},
		{"over 8 KiB", mod(func(h, c map[string]any) { c["pad"] = strings.Repeat("p", 9<<10) })},
		{"garbage", "garbage"},
		{"three empty segments", ".."},
	}
}

func TestAccessTokenExpires(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"AUTH_ACCESS_TTL": "1m"})
	pair, _ := s.NewUser("expiry")
	s.Clock.Advance(59 * time.Second)
	wantStatus(t, profile(s, pair.Access), http.StatusOK)
	s.Clock.Advance(2 * time.Second)
	wantTokenInvalid(t, profile(s, pair.Access))
	// The refresh token outlives it and gives a working access token.
	next := pairOf(t, refresh(s, pair.Refresh))
	wantStatus(t, profile(s, next.Access), http.StatusOK)
}

func TestAccessTokenAsRefresh(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	pair, _ := s.NewUser("wrongtype")
	for _, path := range []string{pathRefresh, pathLogout} {
		t.Run(path, func(t *testing.T) {
			r := s.Post(path, map[string]string{"refresh": pair.Access})
			wantTokenInvalid(t, r)
		})
	}
	// Neither attempt ended the session.
	wantStatus(t, profile(s, pair.Access), http.StatusOK)
}

func TestAuthorizationHeaderForms(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	pair, _ := s.NewUser("headers")
	cases := []struct {
		name, header string
		status       int
		code         string
	}{
		{"lower-case scheme", "bearer " + pair.Access, http.StatusOK, ""},
		{"no credentials", "", http.StatusUnauthorized, "not_authenticated"},
		{"scheme only", "Bearer", http.StatusUnauthorized, "bad_authorization_header"},
		{"two values", "Bearer " + pair.Access + " x", http.StatusUnauthorized, "bad_authorization_header"},
		{"oversized header", "Bearer " + strings.Repeat("a", 10<<10), http.StatusUnauthorized, "token_not_valid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{}
			if c.header != "" {
				h["Authorization"] = c.header
			}
			r := s.Do(testserver.Request{Method: http.MethodGet, Path: pathProfile, Header: h})
			if c.status == http.StatusOK {
				wantStatus(t, r, http.StatusOK)
				return
			}
			wantError(t, r, c.status, c.code)
		})
	}
}

func TestIssuerAudienceLeeway(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{
		"AUTH_ISSUER": "https://issuer.test", "AUTH_AUDIENCE": "api.test",
		"AUTH_LEEWAY": "30s", "AUTH_ACCESS_TTL": "1m",
	})
	pair, _ := s.NewUser("audience")
	header, claims := parts(t, pair.Access)
	if claims["iss"] != "https://issuer.test" {
		t.Errorf("iss %v", claims["iss"])
	}
	mod := func(f func(c map[string]any)) string {
		c := maps.Clone(claims)
		f(c)
		return sign(t, jwt.SigningMethodHS256, []byte(testserver.Secret), header, c)
	}
	wantStatus(t, profile(s, mod(func(map[string]any) {})), http.StatusOK)
	for name, tok := range map[string]string{
		"no iss":    mod(func(c map[string]any) { delete(c, "iss") }),
		"wrong iss": mod(func(c map[string]any) { c["iss"] = "https://evil.test" }),
		"no aud":    mod(func(c map[string]any) { delete(c, "aud") }),
		"wrong aud": mod(func(c map[string]any) { c["aud"] = "other" }),
	} {
		t.Run(name, func(t *testing.T) { wantTokenInvalid(t, profile(s, tok)) })
	}
	// Expired by 20s: inside the 30s leeway. By 40s: refused.
	s.Clock.Advance(80 * time.Second)
	wantStatus(t, profile(s, pair.Access), http.StatusOK)
	s.Clock.Advance(20 * time.Second)
	wantTokenInvalid(t, profile(s, pair.Access))
}
