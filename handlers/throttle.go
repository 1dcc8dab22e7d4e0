package handlers

import (
	"github.com/gin-gonic/gin"

	"authsvc/middleware"
	"authsvc/throttle"
)

// Limits are the configurable per-subject limits that are not a fixed
// policy (AUTH_THROTTLE_REFRESH, AUTH_THROTTLE_UPLOADS); a zero Rule is no
// limit.
type Limits struct {
	// Refresh is refreshes per session (every attempt counts).
	Refresh throttle.Rule
	// Uploads is profile picture uploads per user (every attempt counts).
	Uploads throttle.Rule
}

// throttleGuards builds the route guards of the throttle policies. Failed
// logins are limited per IP here; per account (and per device cookie) the
// account service limits them, on the budget every password check shares
// (accounts/budget.go), because only it knows which account a name is.
func throttleGuards(t *middleware.Throttle) (login, register, reset, passwordCheck gin.HandlerFunc) {
	return t.Guard(throttle.Login), t.Guard(throttle.Register), t.Guard(throttle.PasswordReset), t.Guard(throttle.PasswordCheck)
}

// uploadGuard limits picture uploads per user: decoding is the most
// expensive thing a client can make the service do, and every upload
// replaces a file on disk.
func uploadGuard(t *middleware.Throttle, r throttle.Rule) gin.HandlerFunc {
	return t.GuardUser(throttle.Policy{Name: "upload", PerSubject: r, Field: "user"})
}

// throttleRefresh counts a refresh against its session (the sid of a token
// whose signature checked; anything else is refused before and counts
// nowhere, since it names no session we issued). Every rotation is a write
// on the one SQLite writer, so one session refreshing in a loop would take
// it from everyone else.
func (a *api) throttleRefresh(c *gin.Context, sid string) error {
	if a.Throttle == nil || a.Limits.Refresh.Limit <= 0 || sid == "" {
		return nil
	}
	return a.Throttle.Take(c, "refresh", sid, a.Limits.Refresh)
}
