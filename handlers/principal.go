package handlers

import (
	"context"

	"github.com/gin-gonic/gin"

	"authsvc/accounts"
	"authsvc/middleware"
)

// The middleware sees principals only through its own small interface, so
// that it does not depend on the account service; these adapters are the
// one place where the two meet.
var _ middleware.Principal = (*accounts.Principal)(nil)

// authenticator gives middleware.Auth the account service's checks.
type authenticator struct{ accounts *accounts.Service }

func (x authenticator) Authenticate(ctx context.Context, raw string) (middleware.Principal, error) {
	return boxed(x.accounts.Authenticate(ctx, raw))
}

func (x authenticator) AuthenticateKey(ctx context.Context, key string) (middleware.Principal, error) {
	return boxed(x.accounts.AuthenticateKey(ctx, key))
}

// boxed keeps a nil principal nil: a nil *accounts.Principal inside the
// interface would not compare equal to nil and would pass for authenticated.
func boxed(p *accounts.Principal, err error) (middleware.Principal, error) {
	if p == nil {
		return nil, err
	}
	return p, err
}

// principal is the account the request acts as (set by middleware.Auth),
// nil when anonymous.
func principal(c *gin.Context) *accounts.Principal {
	p, _ := middleware.PrincipalFrom(c).(*accounts.Principal)
	return p
}

// newAuth authenticates requests with the account service: access JWTs
// and API keys.
func newAuth(s *accounts.Service) *middleware.Auth {
	x := authenticator{accounts: s}
	return &middleware.Auth{Bearer: x, Key: x}
}
