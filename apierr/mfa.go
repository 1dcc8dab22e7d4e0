package apierr

import "net/http"

// Codes of the second factor (API.md, "Second factor and step-up").
const (
	CodeMFARequired     = "mfa_required"
	CodeMFAInvalid      = "mfa_invalid"
	CodeMFATokenInvalid = "mfa_token_invalid"
	CodeMFAEnabled      = "mfa_enabled"
	CodeMFANotEnabled   = "mfa_not_enabled"
	CodeMFANotPending   = "mfa_not_pending"
)

const msgMFARequired = "A second factor is required."

var (
	// MFARequired is a step-up endpoint called without a code by a user
	// with a factor on. 403, not 401: the credentials the request came with
	// are good, and a client must not drop them.
	MFARequired = &Error{Status: http.StatusForbidden, Code: CodeMFARequired, Detail: msgMFARequired}
	// MFAWrongCode is a wrong code on an endpoint the caller is signed in
	// to (step-up, confirm): 403 for the same reason.
	MFAWrongCode = &Error{Status: http.StatusForbidden, Code: CodeMFAInvalid, Detail: "Invalid authentication code."}
	// MFAInvalid is a wrong code at the second step of a login.
	MFAInvalid = &Error{Status: http.StatusUnauthorized, Code: CodeMFAInvalid, Detail: "Invalid authentication code."}
	// MFATokenInvalid is an mfa_token that is unknown, used, expired or
	// out of attempts.
	MFATokenInvalid = &Error{Status: http.StatusUnauthorized, Code: CodeMFATokenInvalid,
		Detail: "The MFA token is invalid or expired."}
	MFAEnabled = &Error{Status: http.StatusConflict, Code: CodeMFAEnabled,
		Detail: "Two-factor authentication is already enabled; disable it first."}
	MFANotEnabled = &Error{Status: http.StatusConflict, Code: CodeMFANotEnabled,
		Detail: "Two-factor authentication is not enabled."}
	MFANotPending = &Error{Status: http.StatusConflict, Code: CodeMFANotPending,
		Detail: "No two-factor enrolment is waiting for confirmation; start one first."}
	// AdminMFARequired refuses staff whose credential did not include a
	// second factor (AUTH_ADMIN_REQUIRE_MFA).
	AdminMFARequired = &Error{Status: http.StatusForbidden, Code: CodeMFARequired,
		Detail: "This action requires a second factor."}
)

// MFAChallenge is the answer to a right password of a user with a factor
// on: 403 mfa_required with the token that finishes the login and the
// methods it accepts.
func MFAChallenge(token string, methods []string) *Error {
	return &Error{Status: http.StatusForbidden, Code: CodeMFARequired, Detail: msgMFARequired,
		Extra: map[string]any{"mfa_token": token, "methods": methods}}
}
