// Package tokens signs and verifies the service's JWTs: typed claims, the key
// set (kid), and a parser built once with the algorithm pinned. It knows
// nothing of HTTP or the database.
package tokens

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token types carried in the token_type claim.
const (
	TypeAccess  = "access"
	TypeRefresh = "refresh"
)

// MaxTokenBytes bounds a token before any parsing: no legitimate token of
// ours comes near it, and a multi-megabyte "token" must cost nothing.
const MaxTokenBytes = 8 << 10

var (
	// ErrInvalid covers every reason a token cannot be trusted: malformed,
	// bad signature, wrong algorithm or key, expired, wrong iss/aud.
	ErrInvalid = errors.New("token invalid or expired")
	// ErrWrongType is a well-formed, valid token of the other type.
	ErrWrongType = errors.New("token has wrong type")
)

// Claims are the claims of both token types. user_id is a JSON number; a
// string there fails decoding and so the token.
type Claims struct {
	TokenType string `json:"token_type"`
	UserID    int64  `json:"user_id"`
	SessionID string `json:"sid"`
	Username  string `json:"username,omitempty"`
	IsStaff   bool   `json:"is_staff,omitempty"`
	// AuthTime (OIDC's auth_time) is when the user last proved a
	// credential, and AMR (RFC 8176) how: kept by the session, so a refresh
	// changes neither. Absent from tokens made before they existed.
	AuthTime *Date    `json:"auth_time,omitempty"`
	AMR      []string `json:"amr,omitempty"`
	// The registered claims, in RFC 7519's order; the time claims use the
	// strict Date type.
	Issuer    string           `json:"iss,omitempty"`
	Subject   string           `json:"sub,omitempty"`
	Audience  jwt.ClaimStrings `json:"aud,omitempty"`
	ExpiresAt *Date            `json:"exp,omitempty"`
	NotBefore *Date            `json:"nbf,omitempty"`
	IssuedAt  *Date            `json:"iat,omitempty"`
	ID        string           `json:"jti,omitempty"`
}

// The jwt.Claims methods the parser's validator reads.

func (c Claims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt.numeric(), nil }
func (c Claims) GetNotBefore() (*jwt.NumericDate, error)      { return c.NotBefore.numeric(), nil }
func (c Claims) GetIssuedAt() (*jwt.NumericDate, error)       { return c.IssuedAt.numeric(), nil }
func (c Claims) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c Claims) GetSubject() (string, error)                  { return c.Subject, nil }
func (c Claims) GetAudience() (jwt.ClaimStrings, error)       { return c.Audience, nil }

// Options configure a Service.
type Options struct {
	Keys     *KeySet
	Issuer   string
	Audience string
	Leeway   time.Duration
	Now      func() time.Time
	// UnknownKID, when set, is called once before a token whose kid is not
	// in the key set is refused; it may install a newer key set (a key made
	// a moment ago on another instance), and the token is then checked
	// again. It must limit its own cost: anyone can send made-up kids.
	UnknownKID func()
}

// errUnknownKID marks a token whose kid names none of our keys.
var errUnknownKID = errors.New("unknown kid")

// Service issues and verifies tokens. Keys can be swapped at run time
// (rotation) with SetKeys; everything else is fixed at construction.
type Service struct {
	keys     atomic.Pointer[KeySet]
	parser   *jwt.Parser
	issuer   string
	audience string
	now      func() time.Time
	verified *verified
	unknown  func()
}

// New builds a Service. The parser pins the configured algorithm: a token
// whose alg is anything else (none, another HMAC size, RS256 when we sign
// HS256, a different casing) is refused before any key is looked at.
func New(o Options) (*Service, error) {
	if o.Keys == nil || o.Keys.Signing == nil {
		return nil, fmt.Errorf("tokens: no signing key")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{o.Keys.Signing.Alg}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(o.Leeway),
		jwt.WithTimeFunc(o.Now),
		jwt.WithStrictDecoding(),
	}
	if o.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(o.Issuer))
	}
	if o.Audience != "" {
		opts = append(opts, jwt.WithAudience(o.Audience))
	}
	s := &Service{parser: jwt.NewParser(opts...), issuer: o.Issuer, audience: o.Audience, now: o.Now,
		verified: newVerified(verifiedLimit), unknown: o.UnknownKID}
	s.keys.Store(o.Keys)
	return s, nil
}

// Keys returns the key set in force.
func (s *Service) Keys() *KeySet { return s.keys.Load() }

// SetKeys installs a new key set (after a rotation). The algorithm must not
// change: the parser pins it.
func (s *Service) SetKeys(k *KeySet) error {
	if k == nil || k.Signing == nil || k.Signing.Alg != s.keys.Load().Signing.Alg {
		return fmt.Errorf("tokens: new key set must keep algorithm %s", s.keys.Load().Signing.Alg)
	}
	s.keys.Store(k)
	return nil
}

// Spec describes one token to issue.
type Spec struct {
	Type      string
	UserID    int64
	SessionID string
	ID        string // jti
	Username  string
	IsStaff   bool
	IssuedAt  time.Time
	ExpiresAt time.Time
	// AuthTime and AMR are set on both types: a refresh token carries them
	// to the access tokens it is exchanged for. Zero/nil: left out.
	AuthTime time.Time
	AMR      []string
}

// Sign returns the compact JWT for spec, signed with the current key. Signing
// the same spec twice gives the same claims (and, for HS256, RS256 and EdDSA,
// the same bytes): refresh rotation relies on that to hand a second tab the
// same successor token.
func (s *Service) Sign(spec Spec) (string, error) {
	k := s.keys.Load().Signing
	c := Claims{
		TokenType: spec.Type,
		UserID:    spec.UserID,
		SessionID: spec.SessionID,
		Username:  spec.Username,
		IsStaff:   spec.IsStaff,
		Issuer:    s.issuer,
		Subject:   strconv.FormatInt(spec.UserID, 10),
		ID:        spec.ID,
		IssuedAt:  NewDate(spec.IssuedAt),
		ExpiresAt: NewDate(spec.ExpiresAt),
		AMR:       spec.AMR,
	}
	if !spec.AuthTime.IsZero() {
		c.AuthTime = NewDate(spec.AuthTime)
	}
	if s.audience != "" {
		c.Audience = jwt.ClaimStrings{s.audience}
	}
	t := jwt.NewWithClaims(k.method, c)
	t.Header["kid"] = k.ID
	out, err := t.SignedString(k.private)
	if err != nil {
		return "", fmt.Errorf("sign %s token: %w", spec.Type, err)
	}
	return out, nil
}

// Verify parses and checks raw. wantType "" accepts either type (the verify
// endpoint); otherwise a valid token of the other type is ErrWrongType. A
// token verified before is answered from memory (see verified). The Claims
// value returned is the caller's own, but its Audience slice and date
// pointers are shared with the cache: read them, never write through them.
func (s *Service) Verify(raw, wantType string) (*Claims, error) {
	if len(raw) == 0 || len(raw) > MaxTokenBytes {
		return nil, ErrInvalid
	}
	keys := s.keys.Load()
	now := s.now()
	e, sum, ok := s.verified.get(raw, keys, now)
	if !ok {
		c, err := s.verify(raw, keys)
		if err != nil && s.unknown != nil && errors.Is(err, errUnknownKID) {
			// Only on this failure path: a known kid costs nothing more.
			// Retry when the key set changed meanwhile, whether this call's
			// reload or another's installed it.
			s.unknown()
			if fresh := s.keys.Load(); fresh != keys {
				keys = fresh
				c, err = s.verify(raw, keys)
			}
		}
		if err != nil {
			return nil, err
		}
		e = &verifiedEntry{claims: *c, keys: keys, until: c.ExpiresAt.Time.Add(-expiryMargin)}
		// Refresh tokens are used once each (rotation): remembering them
		// would only push access tokens out.
		if c.TokenType == TypeAccess {
			s.verified.put(sum, e)
		}
	}
	if wantType != "" && e.claims.TokenType != wantType {
		return nil, ErrWrongType
	}
	c := e.claims
	return &c, nil
}

// verify is the full check of raw against keys.
func (s *Service) verify(raw string, keys *KeySet) (*Claims, error) {
	if strings.Count(raw, ".") != 2 {
		return nil, ErrInvalid
	}
	c := new(Claims)
	keyFor := func(t *jwt.Token) (any, error) { return s.keyFor(t, keys) }
	if _, err := s.parser.ParseWithClaims(raw, c, keyFor); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if c.ID == "" || c.SessionID == "" || c.UserID <= 0 || c.Subject != strconv.FormatInt(c.UserID, 10) {
		return nil, ErrInvalid
	}
	switch c.TokenType {
	case TypeAccess, TypeRefresh:
	default:
		return nil, ErrInvalid
	}
	return c, nil
}

// keyFor picks the verification key. Headers that would let the token choose
// its own key (jku, x5u, jwk, x5c) or demand extensions we do not implement
// (crit) are refused outright; kid must name one of our keys.
func (s *Service) keyFor(t *jwt.Token, keys *KeySet) (any, error) {
	for _, h := range []string{"crit", "jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256"} {
		if _, ok := t.Header[h]; ok {
			return nil, fmt.Errorf("header %q not accepted", h)
		}
	}
	if typ, ok := t.Header["typ"]; ok {
		if s, _ := typ.(string); !strings.EqualFold(s, "JWT") {
			return nil, fmt.Errorf("typ %v not accepted", typ)
		}
	}
	kid, _ := t.Header["kid"].(string)
	k := keys.Verifying[kid]
	if k == nil {
		return nil, errUnknownKID
	}
	// WithValidMethods already pinned alg; this also ties the key to it so an
	// HMAC token can never be checked against a public key.
	if t.Method.Alg() != k.Alg {
		return nil, fmt.Errorf("alg does not match key")
	}
	return k.public, nil
}
