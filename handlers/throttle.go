package handlers

import (
	"github.com/gin-gonic/gin"

	"authsvc/middleware"
	"authsvc/throttle"
	"authsvc/tokens"
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
// whose signature checks; anything else is left for Refresh to refuse, and
// counts nowhere, since it names no session we issued). Every rotation
// stores a row, so one session refreshing in a loop would grow the table
// without bound.
func (a *api) throttleRefresh(c *gin.Context, raw string) error {
	if a.Throttle == nil || a.Limits.Refresh.Limit <= 0 {
		return nil
	}
	claims, err := a.Tokens.Verify(raw, tokens.TypeRefresh)
	if err != nil || claims.SessionID == "" {
		return nil
	}
	return a.Throttle.Take(c, "refresh", claims.SessionID, a.Limits.Refresh)
}
