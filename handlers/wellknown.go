package handlers

import (
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"authsvc/tokens"
)

// jwksMaxAge lets resource servers cache the key set for five minutes. A
// rotation publishes the new key at once, but tokens signed with it only
// reach a verifier that refetches on an unknown kid or after this age;
// standard JWKS clients do refetch on an unknown kid.
const jwksMaxAge = "public, max-age=300"

// jwks publishes the public keys: the current one first, then every retired
// key whose tokens may still be valid. HS256 has no public key: the list is
// empty, and the secret never leaves the service.
func (a *api) jwks(c *gin.Context) {
	ks := a.Tokens.Keys()
	keys := []tokens.JWK{}
	if jwk, ok := ks.Signing.PublicJWK(); ok {
		keys = append(keys, jwk)
	}
	var rest []tokens.JWK
	for kid, k := range ks.Verifying {
		if kid == ks.Signing.ID {
			continue
		}
		if jwk, ok := k.PublicJWK(); ok {
			rest = append(rest, jwk)
		}
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].Kid < rest[j].Kid })
	c.Header("Cache-Control", jwksMaxAge)
	c.JSON(http.StatusOK, gin.H{"keys": append(keys, rest...)})
}

// openIDConfiguration is the minimal discovery document resource servers
// use to find the keys from the issuer URL alone (OpenID Connect Discovery
// 1.0 / RFC 8414 field names).
func (a *api) openIDConfiguration(c *gin.Context) {
	iss := a.issuer(c)
	alg := a.Tokens.Keys().Signing.Alg
	c.Header("Cache-Control", jwksMaxAge)
	c.JSON(http.StatusOK, gin.H{
		"issuer":                                iss,
		"jwks_uri":                              iss + "/.well-known/jwks.json",
		"token_endpoint":                        iss + "/api/auth/token/",
		"revocation_endpoint":                   iss + "/api/auth/token/blacklist/",
		"id_token_signing_alg_values_supported": []string{alg},
		"token_endpoint_auth_methods_supported": []string{"none"},
		"grant_types_supported":                 []string{"password", "refresh_token"},
		"response_types_supported":              []string{"token"},
		"subject_types_supported":               []string{"public"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "jti", "sid", "user_id", "token_type", "username", "is_staff"},
	})
}

// issuer is AUTH_ISSUER, or the URL this request reached: the scheme from
// TLS or, behind a trusted proxy, X-Forwarded-Proto.
func (a *api) issuer(c *gin.Context) string {
	if a.Issuer != "" {
		return strings.TrimSuffix(a.Issuer, "/")
	}
	return scheme(c, a.proxies) + "://" + c.Request.Host
}
