// Package mfa holds the second factor's rules that need no storage: TOTP
// secrets and codes (RFC 6238 through github.com/pquerna/otp), recovery
// codes, and the keyed hashes recovery codes are stored as. The account
// service decides when they are asked for; the models package stores them.
package mfa

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"image/png"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// The contract's TOTP parameters: what every authenticator app assumes when
// an otpauth URI names none.
const (
	Period = 30 * time.Second
	Digits = 6
	// Drift is how many steps either side of now a code may come from: a
	// phone clock a little off, or a code typed as it rolled over.
	Drift = 1
	// secretBytes is 160 bits, RFC 4226's recommended length for SHA-1.
	secretBytes = 20
	qrPixels    = 256
)

// Enrolment is a new TOTP secret as the user's authenticator takes it.
type Enrolment struct {
	Secret string // base32, unpadded
	URI    string // otpauth://totp/<issuer>:<account>?...
	QRPNG  string // data:image/png;base64,... of URI
}

// NewEnrolment makes a fresh random secret for account under issuer.
func NewEnrolment(issuer, account string) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account, Period: uint(Period / time.Second),
		SecretSize: secretBytes, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("generate totp secret: %w", err)
	}
	img, err := key.Image(qrPixels, qrPixels)
	if err != nil {
		return Enrolment{}, fmt.Errorf("render totp qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, fmt.Errorf("encode totp qr code: %w", err)
	}
	return Enrolment{
		Secret: key.Secret(), URI: key.URL(),
		QRPNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()),
	}, nil
}

// Step is the TOTP time step t falls in.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// IsTOTPCode reports whether code has the shape of a TOTP code (six ASCII
// digits); anything else is tried as a recovery code.
func IsTOTPCode(code string) bool {
	if len(code) != Digits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// MatchStep finds the time step within Drift of now whose code is code,
// among the steps after last (the last step this user had accepted: a code
// is never good twice). It returns the step to record, or ok false. Every
// candidate step is computed and compared in constant time, so the answer's
// timing does not say which step was close.
func MatchStep(secret, code string, now time.Time, last int64) (step int64, ok bool) {
	if !IsTOTPCode(code) {
		return 0, false
	}
	cur := Step(now)
	opts := hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	for s := cur - Drift; s <= cur+Drift; s++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), opts)
		if err != nil {
			return 0, false // a secret that does not decode matches nothing
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && s > last && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}

// Code is the TOTP code of secret at t (tests and tools; the service only
// matches).
func Code(secret string, t time.Time) (string, error) {
	return hotp.GenerateCodeCustom(secret, uint64(Step(t)), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}
