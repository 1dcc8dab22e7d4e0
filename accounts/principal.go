package accounts

import "authsvc/models"

// User is an account as the service hands it out. It is the stored row
// itself; the alias lets the HTTP layer name it without importing the
// storage package.
type User = models.User

// Principal is who a request acts as: the user as loaded when the request
// was authenticated, and the credential it came with.
type Principal struct {
	User      User
	SessionID string // set for Bearer (JWT) authentication
	APIKeyID  string // set for Token (API key) authentication
	// AMR is how the credential's login proved the user (the access
	// token's amr claim, or the key's); read-only, it may be shared.
	AMR []string
	// staffNeedsMFA is AUTH_ADMIN_REQUIRE_MFA, set by the service that
	// authenticated p.
	staffNeedsMFA bool
}

// UserID is the id of the user p acts as. With IsStaff it is all the HTTP
// middleware (permission rules, throttle, access log) asks of a principal.
func (p *Principal) UserID() int64 { return p.User.ID }

// IsStaff reports whether p may use staff powers now: the staff routes,
// and acting on or seeing other users' accounts as staff. Under
// AUTH_ADMIN_REQUIRE_MFA that takes a credential with a second factor.
func (p *Principal) IsStaff() bool { return p.User.IsStaff && !p.StaffNeedsFactor() }

// StaffNeedsFactor reports whether p is staff whose credential lacks the
// second factor AUTH_ADMIN_REQUIRE_MFA asks of staff powers.
func (p *Principal) StaffNeedsFactor() bool {
	return p.staffNeedsMFA && p.User.IsStaff && !p.HasMFA()
}

// HasMFA reports whether p's credential came from a login with a second
// factor (AUTH_ADMIN_REQUIRE_MFA asks it of staff).
func (p *Principal) HasMFA() bool { return HasMFA(p.AMR) }
