package passwords

import (
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"
)

// maxDjangoIterations caps the work an imported hash can demand, so a
// hostile row cannot make one login spin for minutes.
const maxDjangoIterations = 10_000_000

// verifyDjangoPBKDF2 checks Django's "pbkdf2_sha256$<iterations>$<salt>$<b64 hash>".
func (h *Hasher) verifyDjangoPBKDF2(password, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2_sha256" {
		return false, ErrMalformedHash
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > maxDjangoIterations {
		return false, ErrMalformedHash
	}
	want, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil || len(want) == 0 {
		return false, ErrMalformedHash
	}
	got, err := h.pbkdf2Key(password, []byte(parts[2]), iter, len(want))
	if err != nil {
		return false, ErrMalformedHash
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
