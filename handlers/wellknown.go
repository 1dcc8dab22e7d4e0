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
	iss, base, configured := a.discoveryURLs(c)
	alg := a.Tokens.Keys().Signing.Alg
	if configured {
		c.Header("Cache-Control", jwksMaxAge)
	} else {
		// Built from this request's Host: no shared cache may keep it and
		// hand it to someone who sent another Host.
		c.Header("Cache-Control", "no-store")
	}
	c.JSON(http.StatusOK, gin.H{
		"issuer":                                iss,
		"jwks_uri":                              base + "/.well-known/jwks.json",
		"token_endpoint":                        base + "/api/auth/token/",
		"revocation_endpoint":                   base + "/api/auth/token/blacklist/",
		"id_token_signing_alg_values_supported": []string{alg},
		"token_endpoint_auth_methods_supported": []string{"none"},
		"grant_types_supported":                 []string{"password", "refresh_token"},
		"response_types_supported":              []string{"token"},
		"subject_types_supported":               []string{"public"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "jti", "sid", "user_id", "token_type", "username", "is_staff", "auth_time", "amr"},
	})
}

// discoveryURLs gives the issuer and the base of the endpoint URLs. The
// base is AUTH_PUBLIC_URL, else AUTH_ISSUER (an issuer is conventionally the
// service's URL), else, with neither configured, the URL this request
// reached: its Host and the scheme from TLS or, behind a trusted proxy only,
// X-Forwarded-Proto (X-Forwarded-Host is never read). configured is false in
// that last case. The issuer is AUTH_ISSUER, else the base.
func (a *api) discoveryURLs(c *gin.Context) (issuer, base string, configured bool) {
	switch {
	case a.PublicURL != "":
		base, configured = a.PublicURL, true
	case a.Issuer != "":
		base, configured = a.Issuer, true
	default:
		base = scheme(c, a.proxies) + "://" + c.Request.Host
	}
	issuer = a.Issuer
	if issuer == "" {
		issuer = base
	}
	return issuer, strings.TrimSuffix(base, "/"), configured
}
