package mfa

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"strconv"
	"strings"
)

// RecoveryCodes is how many recovery codes a user gets at a time.
const RecoveryCodes = 10

// recoveryChars is each code's length before the dash: 10 base32 characters,
// 50 random bits, typed by hand from paper.
const recoveryChars = 10

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewRecoveryCodes returns RecoveryCodes fresh codes, "xxxxx-xxxxx".
func NewRecoveryCodes() []string {
	codes := make([]string, RecoveryCodes)
	for i := range codes {
		var b [8]byte
		_, _ = rand.Read(b[:])
		s := lowerBase32.EncodeToString(b[:])[:recoveryChars]
		codes[i] = s[:5] + "-" + s[5:]
	}
	return codes
}

// NormalizeRecovery is how a typed recovery code is compared: lower case,
// spaces and dashes dropped. "" when what is left cannot be a recovery code.
func NormalizeRecovery(code string) string {
	code = strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, code)
	if len(code) != recoveryChars {
		return ""
	}
	for i := 0; i < len(code); i++ {
		if c := code[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return ""
		}
	}
	return code
}

// RecoveryHasher turns recovery codes into what is stored. The hash is keyed
// (HMAC-SHA-256 under a key derived from AUTH_SECRET_KEY) and bound to the
// user: 50 bits would fall to a brute force of an unkeyed hash taken from a
// database dump, and a code of one user is worth nothing on another.
type RecoveryHasher struct {
	key []byte
}

// NewRecoveryHasher keys the hasher with key (derived by the caller).
func NewRecoveryHasher(key []byte) RecoveryHasher { return RecoveryHasher{key: key} }

// Hash returns the stored form of code for userID ("" for a code that is
// not one).
func (h RecoveryHasher) Hash(userID int64, code string) string {
	n := NormalizeRecovery(code)
	if n == "" {
		return ""
	}
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(strconv.FormatInt(userID, 10)))
	m.Write([]byte{0})
	m.Write([]byte(n))
	return hex.EncodeToString(m.Sum(nil))
}

// Match returns the index in stored of the hash equal to want, or -1. Every
// entry is compared in constant time, so the timing says nothing about
// which code, if any, came close.
func Match(stored []string, want string) int {
	found := -1
	for i, s := range stored {
		if subtle.ConstantTimeCompare([]byte(s), []byte(want)) == 1 && want != "" {
			found = i
		}
	}
	return found
}
