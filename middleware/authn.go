package middleware

import (
	"context"
	"strings"

	"github.com/gin-gonic/gin"

	"authsvc/apierr"
	"authsvc/tokens"
)

// Principal is who a request acts as, as far as the permission rules, the
// throttle and the access log need to know. The account service's principal
// implements it; the middleware keeps it opaque otherwise, so that it does not
// depend on the business layer (handlers get their concrete type back).
type Principal interface {
	// UserID is the id of the user the request acts as.
	UserID() int64
	// IsStaff reports whether that user may use the staff routes.
	IsStaff() bool
	// StaffNeedsFactor reports whether that user is staff but may not use
	// staff powers with this credential: AUTH_ADMIN_REQUIRE_MFA is on and
	// the credential's login had no second factor (IsStaff is then false).
	StaffNeedsFactor() bool
}

// BearerAuthenticator checks an access JWT.
type BearerAuthenticator interface {
	Authenticate(ctx context.Context, raw string) (Principal, error)
}

// KeyAuthenticator checks an opaque API key.
type KeyAuthenticator interface {
	AuthenticateKey(ctx context.Context, key string) (Principal, error)
}

// Auth authenticates requests from the Authorization header: "Bearer <jwt>"
// or "Token <key>" (both schemes case-insensitive, as RFC 7235 says).
type Auth struct {
	Bearer BearerAuthenticator
	Key    KeyAuthenticator // nil: the Token scheme is not offered
}

// Rule decides whether a principal (nil: anonymous) may go on.
type Rule func(p Principal) error

// Authenticated lets any authenticated user through.
func Authenticated(p Principal) error {
	if p == nil {
		return apierr.NotAuthenticated
	}
	return nil
}

// Staff lets staff through; others get 403, anonymous 401.
func Staff(p Principal) error {
	if p == nil {
		return apierr.NotAuthenticated
	}
	return staffPowers(p)
}

// staffPowers is the 403 for a principal without staff powers: staff
// missing the required second factor learn that they need one
// (mfa_required), anyone else gets permission_denied.
func staffPowers(p Principal) error {
	switch {
	case p.IsStaff():
		return nil
	case p.StaffNeedsFactor():
		return apierr.AdminMFARequired
	}
	return apierr.PermissionDenied
}

// OwnerOrStaff is the object-level rule: handlers call it once they know the
// object's owner. Staff acting on another user's object need staff powers,
// with the second factor AUTH_ADMIN_REQUIRE_MFA asks of them.
func OwnerOrStaff(p Principal, ownerID int64) error {
	if p == nil {
		return apierr.NotAuthenticated
	}
	if p.UserID() == ownerID {
		return nil
	}
	return staffPowers(p)
}

// maxAuthHeader bounds the header before any parsing.
const maxAuthHeader = tokens.MaxTokenBytes + 64

// Require authenticates the request and applies rule. Bad credentials fail
// even on routes whose rule would let anonymous through: a client that sent
// a token must learn that it is bad.
func (a *Auth) Require(rule Rule) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := a.identify(c)
		if err == nil {
			err = rule(p)
		}
		if err != nil {
			RenderError(c, err)
			return
		}
		if p != nil {
			c.Set(ginPrincipalKey, p)
		}
		c.Next()
	}
}

func (a *Auth) identify(c *gin.Context) (Principal, error) {
	// Two Authorization headers make the credential ambiguous: a proxy, a
	// logger or an audit hook in front may act on the other one than we
	// would. Refuse rather than pick. (Values reads the map without
	// copying, so the common single header costs nothing extra.)
	if len(c.Request.Header.Values("Authorization")) > 1 {
		return nil, apierr.BadAuthHeader
	}
	cred, err := ParseAuthorization(c.GetHeader("Authorization"), a.Key != nil)
	if err != nil {
		return nil, err
	}
	switch cred.Scheme {
	case SchemeBearer:
		return a.Bearer.Authenticate(c.Request.Context(), cred.Value)
	case SchemeToken:
		return a.Key.AuthenticateKey(c.Request.Context(), cred.Value)
	}
	// No header, or a scheme that is not ours: "no credentials", as in
	// DRF; another authenticator (a proxy's Basic auth, say) may own it.
	return nil, nil
}

// Authorization schemes ParseAuthorization recognises.
const (
	SchemeBearer = "Bearer"
	SchemeToken  = "Token"
)

// Credential is a parsed Authorization header. Scheme is "" when the header
// is absent or names a scheme that is not ours.
type Credential struct {
	Scheme string
	Value  string
}

// ParseAuthorization parses an Authorization header: "Bearer <jwt>", or
// "Token <key>" when tokenScheme is offered; scheme names are
// case-insensitive (RFC 7235). It is a pure function so that it can be fuzzed.
// A header over the size limit is refused before any other look at it.
func ParseAuthorization(h string, tokenScheme bool) (Credential, error) {
	if h == "" {
		return Credential{}, nil
	}
	if len(h) > maxAuthHeader {
		return Credential{}, apierr.AccessTokenInvalid(apierr.MsgTokenInvalid)
	}
	scheme, rest, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, SchemeBearer):
		cred, ok := singleCredential(rest)
		if !ok {
			return Credential{}, apierr.BadAuthHeader
		}
		return Credential{Scheme: SchemeBearer, Value: cred}, nil
	case strings.EqualFold(scheme, SchemeToken) && tokenScheme:
		if strings.Trim(rest, " ") == "" {
			return Credential{}, apierr.NoKeyCredentials
		}
		cred, ok := singleCredential(rest)
		if !ok {
			return Credential{}, apierr.KeySpaces
		}
		return Credential{Scheme: SchemeToken, Value: cred}, nil
	}
	return Credential{}, nil
}

// singleCredential returns the one value after the scheme.
func singleCredential(rest string) (string, bool) {
	rest = strings.Trim(rest, " ")
	if rest == "" || strings.ContainsAny(rest, " \t") {
		return "", false
	}
	return rest, true
}

// PrincipalFrom returns the authenticated principal, or nil.
func PrincipalFrom(c *gin.Context) Principal {
	v, ok := c.Get(ginPrincipalKey)
	if !ok {
		return nil
	}
	p, _ := v.(Principal)
	return p
}
