package apierr

import "net/http"

// CodeCSRFFailed marks a cookie-authenticated request refused by the CSRF
// check (Origin not allowed or the custom header missing).
const CodeCSRFFailed = "csrf_failed"

// CSRF is the 403 for a failed CSRF check, worded as Django words it.
func CSRF(reason string) *Error {
	return &Error{Status: http.StatusForbidden, Code: CodeCSRFFailed, Detail: "CSRF Failed: " + reason}
}
