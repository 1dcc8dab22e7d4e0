package handlers

import (
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"authsvc/accounts"
	"authsvc/apierr"
)

// CookieMode keeps the refresh token out of JavaScript's reach: token and
// token/refresh set it as an HttpOnly cookie and leave it out of the JSON,
// and refresh/logout read it from the cookie when the body has none. It is
// the recommended mode for browsers, since an XSS bug can then steal at
// most a short-lived access token, never the refresh token.
type CookieMode struct {
	On bool
	// Insecure drops the Secure flag, for http://localhost development and tests.
	Insecure bool
	// Origins are the cross-origin callers allowed to use the cookie
	// (AUTH_CORS_ORIGINS); the API's own origin is always allowed.
	Origins []string
	// MaxAge is the cookie lifetime, the refresh-token lifetime.
	MaxAge time.Duration
}

const (
	refreshCookie = "refresh_token"
	// cookiePath scopes the cookie to the token endpoints, so it is not
	// sent with every API call.
	cookiePath = "/api/auth/"
)

// sendPair writes a login or refresh answer, moving the refresh token into
// the cookie in cookie mode.
func (a *api) sendPair(c *gin.Context, p accounts.Pair) {
	if !a.Cookie.On {
		c.JSON(http.StatusOK, p)
		return
	}
	a.setRefreshCookie(c, p.Refresh, int(a.Cookie.MaxAge/time.Second))
	c.JSON(http.StatusOK, gin.H{"access": p.Access})
}

// setRefreshCookie sets (maxAge > 0) or clears (maxAge < 0) the cookie.
// SameSite=Strict keeps other sites from sending it; the CSRF check (on
// login, and in refreshInput) covers same-site but cross-origin pages and
// keeps other sites from making the browser store a cookie of theirs.
func (a *api) setRefreshCookie(c *gin.Context, value string, maxAge int) {
	a.setCookie(c, refreshCookie, value, cookiePath, maxAge)
}

// setCookie sets one of the service's cookies, all out of JavaScript's reach
// (HttpOnly), HTTPS-only unless AUTH_COOKIE_INSECURE, never sent by other
// sites (SameSite=Strict) and scoped to path.
func (a *api) setCookie(c *gin.Context, name, value, path string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: !a.Cookie.Insecure, SameSite: http.SameSiteStrictMode,
	})
}

// cookieHolds reports whether the request's refresh cookie is raw.
func (a *api) cookieHolds(c *gin.Context, raw string) bool {
	if !a.Cookie.On {
		return false
	}
	v, err := c.Cookie(refreshCookie)
	return err == nil && v != "" && v == raw
}

func (a *api) clearRefreshCookie(c *gin.Context) {
	if a.Cookie.On {
		a.setRefreshCookie(c, "", -1)
	}
}

// refreshInput reads the refresh token of refresh and logout: from the body
// when it has one (scripts, Postman), else in cookie mode from the cookie,
// which then needs the CSRF check. fromCookie tells the caller to clear a
// cookie the service refused.
func (a *api) refreshInput(c *gin.Context) (raw string, fromCookie bool, err error) {
	b, err := readBody(c)
	if err != nil {
		return "", false, err
	}
	f := b.field("refresh")
	if a.Cookie.On && f.State == accounts.Missing {
		if v, err := c.Cookie(refreshCookie); err == nil && v != "" {
			if err := a.checkCSRF(c); err != nil {
				return "", false, err
			}
			return v, true, nil
		}
	}
	var v apierr.Validation
	raw = requiredField(&v, "refresh", f)
	return raw, false, v.Err()
}

// checkCSRF refuses a cookie-authenticated request unless it comes from an
// allowed origin AND carries a header that a plain HTML form or a
// cross-site "simple" request cannot set.
func (a *api) checkCSRF(c *gin.Context) error {
	origin := c.GetHeader("Origin")
	if origin == "" {
		return apierr.CSRF("Origin header missing.")
	}
	if origin != scheme(c, a.proxies)+"://"+c.Request.Host && !slices.Contains(a.Cookie.Origins, origin) {
		return apierr.CSRF("Origin checking failed - " + origin + " does not match any trusted origins.")
	}
	if c.GetHeader("X-Requested-With") != "XMLHttpRequest" && c.GetHeader("X-CSRF-Token") == "" {
		return apierr.CSRF("X-Requested-With: XMLHttpRequest or X-CSRF-Token header required.")
	}
	return nil
}
