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

// verifyDjangoPBKDF2 checks Django's "pbkdf2_sha256$<iterations>$<salt>$<b64 hash>"
// and returns the iterations it ran (0 for a malformed hash, refused before
// any work), which Verify's padding counts.
func (h *Hasher) verifyDjangoPBKDF2(password, encoded string) (ok bool, iterations int, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2_sha256" {
		return false, 0, ErrMalformedHash
	}
	iter, ok := PBKDF2Iterations(encoded)
	if !ok {
		return false, 0, ErrMalformedHash
	}
	want, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil || len(want) == 0 {
		return false, 0, ErrMalformedHash
	}
	got, err := h.pbkdf2Key(password, []byte(parts[2]), iter, len(want))
	if err != nil {
		return false, iter, ErrMalformedHash
	}
	return subtle.ConstantTimeCompare(got, want) == 1, iter, nil
}

// PBKDF2Iterations reads the iteration count of a Django PBKDF2 hash (or of
// its "pbkdf2_sha256$<iterations>" prefix); ok is false when there is none
// this package would run.
func PBKDF2Iterations(encoded string) (iterations int, ok bool) {
	parts := strings.SplitN(encoded, "$", 3)
	if len(parts) < 2 || parts[0] != "pbkdf2_sha256" {
		return 0, false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > maxDjangoIterations {
		return 0, false
	}
	return iter, true
}
