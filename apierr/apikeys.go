package apierr

import "net/http"

// API-key (DRF TokenAuthentication) answers, in DRF's words.
var (
	// InvalidKey is the answer to an unknown or revoked "Token <key>".
	InvalidKey = &Error{Status: http.StatusUnauthorized, Code: CodeAuthFailed, Detail: "Invalid token."}
	// NoKeyCredentials is "Authorization: Token" with nothing after it.
	NoKeyCredentials = &Error{Status: http.StatusUnauthorized, Code: CodeAuthFailed,
		Detail: "Invalid token header. No credentials provided."}
	// KeySpaces is a Token header with more than one value after the scheme.
	KeySpaces = &Error{Status: http.StatusUnauthorized, Code: CodeAuthFailed,
		Detail: "Invalid token header. Token string should not contain spaces."}
	// BadKeyCredentials is the 400 of /api-token-auth/ and the accounts login
	// for an unknown user, a wrong password or an inactive user alike.
	BadKeyCredentials = NonField("Unable to log in with provided credentials.")
	// KeyRequired answers a key-revoking endpoint called without a key.
	KeyRequired = &Error{Status: http.StatusBadRequest, Code: CodeInvalid,
		Detail: "This endpoint revokes the API key that authenticates the request; send Authorization: Token <key>."}
)
