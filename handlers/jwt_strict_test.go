package handlers_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"authsvc/internal/testserver"
	"authsvc/tokens"
)

var b64 = base64.RawURLEncoding

// forged builds a token from header and claims, HMAC-signed with the test
// secret (SHA-256 unless the header asks for HS384/HS512, "none" unsigned),
// whatever the header says: only the defect under test differs from a token
// the service would accept.
func forged(t *testing.T, header, claims map[string]any) string {
	t.Helper()
	hb, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64.EncodeToString(hb) + "." + b64.EncodeToString(cb)
	var h func() hash.Hash = sha256.New
	switch header["alg"] {
	case "none":
		return input + "."
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	}
	m := hmac.New(h, []byte(testserver.Secret))
	m.Write([]byte(input))
	return input + "." + b64.EncodeToString(m.Sum(nil))
}

// decoded returns the header and claims of a token the service issued.
func decoded(t *testing.T, raw string) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	var h, c map[string]any
	for i, dst := range []*map[string]any{&h, &c} {
		b, err := b64.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return h, c
}

func with(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for kk, vv := range m {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// null marks a claim sent as JSON null (with(…, nil) deletes it).
type null struct{}

func (null) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

func TestJWTStrictness(t *testing.T) {
	t.Parallel()
	const leeway = 30 * time.Second
	s := testserver.New(t, testserver.Options{Env: map[string]string{
		"AUTH_ISSUER": "https://auth.test", "AUTH_AUDIENCE": "api", "AUTH_LEEWAY": "30s"}})
	pair, _ := s.NewUser("jwtuser")
	hdr, cl := decoded(t, pair.Access)
	for _, tc := range strictCases(t, hdr, cl, s.Clock.Now().Unix(), leeway) {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/", Bearer: tc.token})
			v := s.Post("/api/auth/token/verify/", map[string]string{"token": tc.token})
			if tc.ok {
				if r.Status != http.StatusOK || v.Status != http.StatusOK {
					t.Fatalf("control refused: profile %d %s, verify %d %s", r.Status, r.Body, v.Status, v.Body)
				}
				return
			}
			for name, resp := range map[string]*testserver.Response{"profile": r, "verify": v} {
				if resp.Status != http.StatusUnauthorized || resp.JSON(t)["code"] != "token_not_valid" {
					t.Errorf("%s: %d %s, want 401 token_not_valid", name, resp.Status, resp.Body)
				}
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s: 401 without WWW-Authenticate", name)
				}
			}
		})
	}
}

// strictCase is one token TestJWTStrictness presents; ok: the service must
// accept it.
type strictCase struct {
	name  string
	token string
	ok    bool
}

// strictCases forges its tokens from the header and claims of an access
// token the service issued at now, under the given leeway.
func strictCases(t *testing.T, hdr, cl map[string]any, now int64, leeway time.Duration) []strictCase {
	t.Helper()
	future := func(d time.Duration) int64 { return now + int64(d/time.Second) }
	valid := forged(t, hdr, cl)
	hs384 := forged(t, with(hdr, "alg", "HS384"), cl)
	padded := strings.Split(valid, ".")
	bigPad := strings.Repeat("x", tokens.MaxTokenBytes)
	return []strictCase{
		{"control: re-signed as issued", valid, true},
		{"control: 4 KiB token", forged(t, hdr, with(cl, "pad", bigPad[:4<<10])), true},
		{"alg lower case", forged(t, with(hdr, "alg", "hs256"), cl), false},
		{"alg mixed case", forged(t, with(hdr, "alg", "Hs256"), cl), false},
		{"alg trailing space", forged(t, with(hdr, "alg", "HS256 "), cl), false},
		{"alg leading space", forged(t, with(hdr, "alg", " HS256"), cl), false},
		{"alg none", forged(t, with(hdr, "alg", "none"), cl), false},
		{"alg NONE", forged(t, with(hdr, "alg", "NONE"), cl), false},
		{"alg HS384", hs384, false},
		{"alg HS512", forged(t, with(hdr, "alg", "HS512"), cl), false},
		{"alg RS256", forged(t, with(hdr, "alg", "RS256"), cl), false},
		{"alg missing", forged(t, with(hdr, "alg", nil), cl), false},
		{"crit header", forged(t, with(hdr, "crit", []string{"exp"}), cl), false},
		{"crit empty", forged(t, with(hdr, "crit", []string{}), cl), false},
		{"jku header", forged(t, with(hdr, "jku", "https://evil.example/jwks.json"), cl), false},
		{"x5u header", forged(t, with(hdr, "x5u", "https://evil.example/cert.pem"), cl), false},
		{"jwk header", forged(t, with(hdr, "jwk", map[string]string{"kty": "oct", "k": b64.EncodeToString([]byte(testserver.Secret))}), cl), false},
		{"x5c header", forged(t, with(hdr, "x5c", []string{"MIIB"}), cl), false},
		{"unknown kid", forged(t, with(hdr, "kid", "someone-elses-key"), cl), false},
		{"missing kid", forged(t, with(hdr, "kid", nil), cl), false},
		{"missing exp", forged(t, hdr, with(cl, "exp", nil)), false},
		{"exp null", forged(t, hdr, with(cl, "exp", null{})), false},
		{"exp zero", forged(t, hdr, with(cl, "exp", 0)), false},
		{"exp string", forged(t, hdr, with(cl, "exp", "9999999999")), false},
		{"iat string", forged(t, hdr, with(cl, "iat", strconv.FormatInt(now, 10))), false},
		{"nbf string", forged(t, hdr, with(cl, "nbf", strconv.FormatInt(now, 10))), false},
		{"expired beyond leeway", forged(t, hdr, with(cl, "exp", future(-leeway-5*time.Second))), false},
		{"expired within leeway", forged(t, hdr, with(cl, "exp", future(-leeway+5*time.Second))), true},
		{"nbf beyond leeway", forged(t, hdr, with(cl, "nbf", future(leeway+5*time.Second))), false},
		{"nbf within leeway", forged(t, hdr, with(cl, "nbf", future(leeway-5*time.Second))), true},
		{"iat beyond leeway", forged(t, hdr, with(cl, "iat", future(leeway+5*time.Second))), false},
		{"iat within leeway", forged(t, hdr, with(cl, "iat", future(leeway-5*time.Second))), true},
		{"wrong iss", forged(t, hdr, with(cl, "iss", "https://evil.example")), false},
		{"missing iss", forged(t, hdr, with(cl, "iss", nil)), false},
		{"wrong aud", forged(t, hdr, with(cl, "aud", []string{"other"})), false},
		{"missing aud", forged(t, hdr, with(cl, "aud", nil)), false},
		{"two segments", padded[0] + "." + padded[1], false},
		{"four segments", valid + "." + padded[2], false},
		{"trailing dot", valid + ".", false},
		{"empty signature", padded[0] + "." + padded[1] + ".", false},
		{"padded segment", padded[0] + "=." + padded[1] + "." + padded[2], false},
		{"signature of another token", padded[0] + "." + padded[1] + "." + strings.Split(hs384, ".")[2][:43], false},
		{"oversized", forged(t, hdr, with(cl, "pad", bigPad)), false},
	}
}

// An Authorization header over 8 KiB is refused before it is parsed, whatever
// it holds, with the token error and never a 5xx.
func TestJWTOversizedAuthorizationHeader(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	for _, h := range []string{
		"Bearer " + strings.Repeat("a", 9<<10),
		"Bearer " + strings.Repeat("a.", 5<<10) + "a",
		"Token " + strings.Repeat("k", 9<<10),
	} {
		r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/auth/profile/",
			Header: map[string]string{"Authorization": h}})
		if r.Status != http.StatusUnauthorized || r.JSON(t)["code"] == nil {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	}
}
