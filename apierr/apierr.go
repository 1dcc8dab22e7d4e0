// Package apierr is the catalogue of errors the API returns: a typed error that
// carries the HTTP status, a stable machine code and a public message, kept apart
// from the internal cause that is only logged.
package apierr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
)

// Error is an error with a public face. Detail and Fields are shown to the
// client; Cause is for the log only.
type Error struct {
	Status int
	Code   string
	Detail string
	// Fields holds DRF-style validation errors: field name -> messages.
	Fields map[string][]string
	// Messages is simplejwt's per-token-class explanation on protected endpoints.
	Messages []TokenMessage
	// RetryAfter, when positive, is sent as the Retry-After header (seconds).
	RetryAfter int
	// Extra holds further top-level fields of the JSON body, beside detail
	// and code (readyz's "status").
	Extra map[string]any
	Cause error
}

// TokenMessage mirrors simplejwt's "messages" entries.
type TokenMessage struct {
	TokenClass string `json:"token_class"`
	TokenType  string `json:"token_type"`
	Message    string `json:"message"`
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Status, e.Code, e.Detail, e.Cause)
	}
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return fmt.Sprintf("%d validation error on %v", e.Status, keys)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Detail)
}

func (e *Error) Unwrap() error { return e.Cause }

// WithCause returns a copy of e that records cause for the log.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.Cause = cause
	return &c
}

// As extracts an *Error from err.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Stable codes. Clients switch on these; never rename one.
const (
	CodeNotAuthenticated   = "not_authenticated"
	CodeAuthFailed         = "authentication_failed"
	CodePermissionDenied   = "permission_denied"
	CodeTokenNotValid      = "token_not_valid"
	CodeBadAuthHeader      = "bad_authorization_header"
	CodeUserInactive       = "user_inactive"
	CodeUserNotFound       = "user_not_found"
	CodeNoActiveAccount    = "no_active_account"
	CodeNotFound           = "not_found"
	CodeMethodNotAllowed   = "method_not_allowed"
	CodeUnsupportedMedia   = "unsupported_media_type"
	CodeParseError         = "parse_error"
	CodeTooLarge           = "request_too_large"
	CodeInvalid            = "invalid"
	CodeThrottled          = "throttled"
	CodeServerError        = "server_error"
	CodeServiceUnavailable = "service_unavailable"
)

// Token failure messages as simplejwt words them.
const (
	MsgTokenInvalid     = "Token is invalid or expired"
	MsgTokenBlacklisted = "Token is blacklisted"
	MsgTokenWrongType   = "Token has wrong type"
)

var (
	NotAuthenticated = &Error{Status: http.StatusUnauthorized, Code: CodeNotAuthenticated,
		Detail: "Authentication credentials were not provided."}
	PermissionDenied = &Error{Status: http.StatusForbidden, Code: CodePermissionDenied,
		Detail: "You do not have permission to perform this action."}
	UserInactive = &Error{Status: http.StatusUnauthorized, Code: CodeUserInactive,
		Detail: "User is inactive"}
	UserNotFound = &Error{Status: http.StatusUnauthorized, Code: CodeUserNotFound,
		Detail: "User not found"}
	NoActiveAccount = &Error{Status: http.StatusUnauthorized, Code: CodeNoActiveAccount,
		Detail: "No active account found with the given credentials"}
	BadAuthHeader = &Error{Status: http.StatusUnauthorized, Code: CodeBadAuthHeader,
		Detail: "Authorization header must contain two space-delimited values"}
	NotFound = &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "Not found."}
	TooLarge = &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge,
		Detail: "Request body is too large."}
	Internal = &Error{Status: http.StatusInternalServerError, Code: CodeServerError,
		Detail: "A server error occurred."}
	Unavailable = &Error{Status: http.StatusServiceUnavailable, Code: CodeServiceUnavailable,
		Detail: "Service temporarily unavailable, try again later.", RetryAfter: 1}
	// NotReady is readyz's 503: the contract's error fields plus "status",
	// the key monitors read on both 200 and 503.
	NotReady = &Error{Status: http.StatusServiceUnavailable, Code: CodeServiceUnavailable,
		Detail: "Database not reachable.", RetryAfter: 1, Extra: map[string]any{"status": "unavailable"}}
	// MetricsTokenInvalid answers a scrape with a wrong AUTH_METRICS_TOKEN
	// (no token at all gets NotAuthenticated).
	MetricsTokenInvalid = &Error{Status: http.StatusUnauthorized, Code: CodeAuthFailed,
		Detail: "Invalid metrics token."}
)

// IsUnavailable reports whether err's chain holds a cancelled or timed-out
// context, or an error that storage (the unavailable classifier, e.g.
// models.IsUnavailable, passed in by the caller so this package imports no
// storage) calls unavailable.
func IsUnavailable(err error, storage func(error) bool) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	return storage != nil && storage(err)
}

// Public is the answer the client gets for err: the *Error in its chain,
// except that an unexpected failure (no *Error, or a 500) whose chain
// IsUnavailable (with the storage classifier unavailable) becomes
// Unavailable (503 with Retry-After), whichever handler or service produced
// it; anything else unexpected is Internal.
func Public(err error, unavailable func(error) bool) *Error {
	e, ok := As(err)
	if ok && e.Status != http.StatusInternalServerError {
		return e
	}
	if IsUnavailable(err, unavailable) {
		if ok && e.Cause != nil {
			return Unavailable.WithCause(e.Cause)
		}
		return Unavailable.WithCause(err)
	}
	if ok {
		return e
	}
	return Internal.WithCause(err)
}

// Token is a 401 token_not_valid with the given simplejwt message, as the
// token endpoints (refresh, verify, logout) answer it.
func Token(msg string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: CodeTokenNotValid, Detail: msg}
}

// AccessTokenInvalid is the answer of a protected endpoint to a bad Bearer
// token: simplejwt's generic detail plus the specific reason in messages.
func AccessTokenInvalid(msg string) *Error {
	return &Error{
		Status: http.StatusUnauthorized, Code: CodeTokenNotValid,
		Detail:   "Given token not valid for any token type",
		Messages: []TokenMessage{{TokenClass: "AccessToken", TokenType: "access", Message: msg}},
	}
}

// MethodNotAllowed is DRF's 405 wording.
func MethodNotAllowed(method string) *Error {
	return &Error{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
		Detail: fmt.Sprintf("Method %q not allowed.", method)}
}

// UnsupportedMedia is DRF's 415 wording.
func UnsupportedMedia(ct string) *Error {
	return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMedia,
		Detail: fmt.Sprintf("Unsupported media type %q in request.", ct)}
}

// Parse is a 400 for a body that could not be decoded.
func Parse(detail string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeParseError, Detail: detail}
}

// Throttled is a 429 with Retry-After.
func Throttled(seconds int) *Error {
	if seconds < 1 {
		seconds = 1
	}
	return &Error{Status: http.StatusTooManyRequests, Code: CodeThrottled, RetryAfter: seconds,
		Detail: fmt.Sprintf("Request was throttled. Expected available in %d seconds.", seconds)}
}

// Validation collects DRF-style field errors. The zero value is ready to use.
type Validation map[string][]string

// Add records msg against field.
func (v *Validation) Add(field, msg string) {
	if *v == nil {
		*v = Validation{}
	}
	(*v)[field] = append((*v)[field], msg)
}

// Has reports whether field already has an error.
func (v Validation) Has(field string) bool { return len(v[field]) > 0 }

// Err returns nil when there are no errors, else a 400 *Error.
func (v Validation) Err() error {
	if len(v) == 0 {
		return nil
	}
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalid, Fields: v}
}

// Field is a single-field 400.
func Field(field, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalid, Fields: map[string][]string{field: {msg}}}
}

// NonField is a 400 under non_field_errors.
func NonField(msg string) *Error { return Field("non_field_errors", msg) }

// EmailNotVerified refuses a login (AUTH_EMAIL_VERIFICATION=required)
// until the address's link has been used.
var EmailNotVerified = &Error{Status: http.StatusForbidden, Code: "email_not_verified",
	Detail: "E-mail address is not verified."}
