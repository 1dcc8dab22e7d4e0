package passwords

import (
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"
)

// MaxPBKDF2Iterations is the most iterations a Django PBKDF2 hash may ask
// for and still be checked here: Django 5.2's default (its highest yet;
// Django raises it with each release, 600,000 in 4.2, 720,000 in 5.0).
//
// It bounds more than the one login: while any PBKDF2 hash is pending, every
// failed password check anywhere is padded to the cost of the slowest one
// (Hasher.Verify), holding a hashing slot throughout. At the old bound of
// 10,000,000 a single hostile or odd imported row made every failed login
// and current_password check cost seconds of CPU (about 100 ms per 600,000
// iterations), a denial-of-service multiplier; at this one the padding is a
// tenth of that. A hash above it is
// not checked at all: the import keeps it unusable ("!" prefix) and says so,
// and one already stored is refused as malformed at the cost of the padding
// alone; either way its user must reset the password. Checking it anyway
// without padding the others to it would leave its user's failed logins
// both slow and told apart by their time.
const MaxPBKDF2Iterations = 1_000_000

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
// this package would run (none, or above MaxPBKDF2Iterations).
func PBKDF2Iterations(encoded string) (iterations int, ok bool) {
	parts := strings.SplitN(encoded, "$", 3)
	if len(parts) < 2 || parts[0] != "pbkdf2_sha256" {
		return 0, false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > MaxPBKDF2Iterations {
		return 0, false
	}
	return iter, true
}
