package handlers

import (
	"github.com/gin-gonic/gin"

	"authsvc/accounts"
	"authsvc/middleware"
	"authsvc/throttle"
)

// throttleGuards builds the route guards of the throttle policies. Login
// counts per username on the same key the user table is unique on (NFKC +
// case fold), so "Bob", "bob" and "ｂｏｂ" share one budget.
func throttleGuards(t *middleware.Throttle) (login, register, reset, passwordCheck gin.HandlerFunc) {
	lp := throttle.Login
	lp.Normalize = accounts.UsernameKey
	return t.Guard(lp), t.Guard(throttle.Register), t.Guard(throttle.PasswordReset), t.Guard(throttle.PasswordCheck)
}
