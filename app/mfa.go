package app

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"

	"authsvc/accounts"
	"authsvc/mfa"
	"authsvc/sealing"
)

// mfaOptions derives the second factor's keys from AUTH_SECRET_KEY, each
// under its own label: TOTP secrets are sealed (they must be read back to
// check a code), recovery codes only hashed (keyed, so a database dump
// alone cannot brute-force them). Every instance needs the same secret.
func mfaOptions(issuer, secret string) (accounts.MFAOptions, error) {
	box, err := sealing.New([]byte(secret), "authsvc totp secret sealing v1")
	if err != nil {
		return accounts.MFAOptions{}, fmt.Errorf("mfa: %w", err)
	}
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "authsvc recovery code hashing v1", 32)
	if err != nil {
		return accounts.MFAOptions{}, fmt.Errorf("mfa: derive recovery code key: %w", err)
	}
	if issuer == "" {
		issuer = "authsvc"
	}
	return accounts.MFAOptions{Issuer: issuer, Box: box, Recovery: mfa.NewRecoveryHasher(key)}, nil
}
