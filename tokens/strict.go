package tokens

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

var errTimeNotNumber = errors.New("exp, nbf and iat must be JSON numbers")

// timesAreNumbers checks that the time claims of a token's payload, when
// present, are JSON numbers. golang-jwt decodes its NumericDate through
// json.Number, which also takes a quoted number ("exp": "9999999999"); RFC
// 7519 says NumericDate is a number, and a token that bends the type is not
// one we issued, so it is refused.
func timesAreNumbers(raw string) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return errTimeNotNumber
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return errTimeNotNumber
	}
	var times struct {
		Exp json.RawMessage `json:"exp"`
		Nbf json.RawMessage `json:"nbf"`
		Iat json.RawMessage `json:"iat"`
	}
	if err := json.Unmarshal(payload, &times); err != nil {
		return errTimeNotNumber
	}
	for _, v := range []json.RawMessage{times.Exp, times.Nbf, times.Iat} {
		v = bytes.TrimSpace(v)
		if len(v) == 0 {
			continue // absent; exp is required by the parser itself
		}
		if c := v[0]; c != '-' && (c < '0' || c > '9') {
			return errTimeNotNumber
		}
	}
	return nil
}
