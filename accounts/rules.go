package accounts

// The exported forms of the validation rules, for callers that create users
// outside a request (the Django import) and must apply the same rules.

// UsernameError returns the reason a (normalised) username is invalid, or "".
func UsernameError(name string) string { return usernameError(name) }

// EmailError returns the reason an email address is invalid, or "".
func EmailError(email string) string { return emailError(email) }

// EmailKey is the uniqueness key of an email address.
func EmailKey(email string) string { return emailKey(email) }
