package accounts

import (
	"slices"
	"strings"
	"time"

	"authsvc/tokens"
)

// RFC 8176 authentication method references.
const (
	AMRPassword = "pwd"
	AMROTP      = "otp"
	AMRMFA      = "mfa"
)

// The amr values the service issues: fixed slices, shared by every token
// (tokens.Sign only reads them).
var (
	amrPassword = []string{AMRPassword}
	amrTOTP     = []string{AMRPassword, AMROTP, AMRMFA}
)

// Auth is how and when the user behind a session proved who they are: the
// auth_time and amr claims of its tokens. A session keeps it for its whole
// life: a refresh proves nothing new.
type Auth struct {
	Time time.Time
	AMR  []string
}

// passwordAuth is a login by password alone, at t.
func passwordAuth(t time.Time) Auth { return Auth{Time: t, AMR: amrPassword} }

// HasMFA reports whether amr records a second factor.
func HasMFA(amr []string) bool { return slices.Contains(amr, AMRMFA) }

// joinAMR is how amr is stored (sessions.amr, api_keys.amr).
func joinAMR(amr []string) string { return strings.Join(amr, ",") }

// splitAMR reads a stored amr; "" (rows from before it was recorded) is a
// password, which is all there was then.
func splitAMR(s string) []string {
	switch s {
	case "", AMRPassword:
		return amrPassword
	case joinAMR(amrTOTP):
		return amrTOTP
	}
	return strings.Split(s, ",")
}

// authOf reads the auth claims a refresh token carries; ok is false for a
// token made before they existed.
func authOf(c *tokens.Claims) (Auth, bool) {
	if c.AuthTime == nil || len(c.AMR) == 0 {
		return Auth{}, false
	}
	return Auth{Time: c.AuthTime.Time, AMR: c.AMR}, true
}
