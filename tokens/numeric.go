package tokens

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// numericDates refuses a token whose exp, iat or nbf is a JSON string.
// golang-jwt decodes these claims through json.Number, and encoding/json
// fills a json.Number from a quoted number too, so {"exp": "9999999999"}
// would pass; RFC 7519 and the contract want a JSON number there.
func numericDates(raw string) error {
	_, rest, _ := strings.Cut(raw, ".")
	payload, _, _ := strings.Cut(rest, ".")
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return fmt.Errorf("decode payload: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("decode claims: %w", err)
	}
	for _, k := range []string{"exp", "iat", "nbf"} {
		if v, ok := m[k]; ok && len(v) > 0 && v[0] == '"' {
			return fmt.Errorf("claim %s is a string, not a number", k)
		}
	}
	return nil
}
