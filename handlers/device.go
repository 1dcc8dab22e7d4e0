package handlers

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"

	"authsvc/accounts"
)

const (
	// deviceCookie is the device cookie of accounts/device.go: it lets a
	// browser that signed in before past a lock-out of its user.
	deviceCookie = "device"
	// deviceCookiePath is the login endpoint only: the cookie is of no use
	// anywhere else, so no other request carries it.
	deviceCookiePath = "/api/auth/token"
)

// deviceContext hands the request's device cookie, if any, to the login.
func (a *api) deviceContext(c *gin.Context) context.Context {
	ctx := c.Request.Context()
	if v, err := c.Cookie(deviceCookie); err == nil {
		ctx = accounts.WithDeviceCookie(ctx, v)
	}
	return ctx
}

// setDeviceCookie gives the browser the fresh device cookie of a successful
// login, in either cookie mode (clients without a cookie jar ignore it).
func (a *api) setDeviceCookie(c *gin.Context, d accounts.DeviceCookie) {
	if d.Value == "" {
		return
	}
	a.setCookie(c, deviceCookie, d.Value, deviceCookiePath, int(d.TTL/time.Second))
}
