package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device
// Cookies"): a successful login gives the browser a cookie that names the
// user (by username key) and a random nonce, signed with a key derived from
// the service secret. While the username is locked out by failed guesses, a
// login that carries a valid device cookie of that user spends the cookie's
// own budget instead (see spendLogin). The cookie is no credential: the
// password is still checked, and a cookie that fails too often is locked out
// in turn. Clients without a cookie jar are throttled as before.
//
// Value: base64url(username key) "." issued (unix seconds) "." nonce "."
// base64url(HMAC-SHA256(device key, those three)).

type deviceCtxKey struct{}

// WithDeviceCookie carries the device cookie a login request presented to
// the login methods (which have no other channel for it).
func WithDeviceCookie(ctx context.Context, raw string) context.Context {
	if raw == "" {
		return ctx
	}
	return context.WithValue(ctx, deviceCtxKey{}, raw)
}

// deviceKey is the cookie's signing key, derived from the secret so that
// it is shared by every instance and is no other key of the service.
func (s *Service) deviceKey() []byte {
	m := hmac.New(sha256.New, s.o.Secret)
	m.Write([]byte("authsvc device cookie v1"))
	return m.Sum(nil)
}

func (s *Service) deviceMAC(payload string) string {
	m := hmac.New(sha256.New, s.deviceKey())
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// NewDeviceCookie returns a fresh device cookie for the user whose username
// key is usernameKey, and how long it is valid. It returns "" when there is
// no failure budget (AUTH_THROTTLE=off): the cookie would then serve nothing.
func (s *Service) NewDeviceCookie(usernameKey string) (string, time.Duration) {
	if s.o.Budget == nil || s.o.DeviceTTL <= 0 {
		return "", 0
	}
	payload := base64.RawURLEncoding.EncodeToString([]byte(usernameKey)) + "." +
		strconv.FormatInt(s.now().Unix(), 10) + "." + newID()
	return payload + "." + s.deviceMAC(payload), s.o.DeviceTTL
}

// deviceNonce returns the nonce of the device cookie in ctx when it is
// well-formed, signed by us, not older than DeviceTTL and issued to
// usernameKey.
func (s *Service) deviceNonce(ctx context.Context, usernameKey string) (string, bool) {
	raw, _ := ctx.Value(deviceCtxKey{}).(string)
	if raw == "" || len(raw) > 1024 || s.o.DeviceTTL <= 0 {
		return "", false
	}
	i := strings.LastIndexByte(raw, '.')
	if i < 0 {
		return "", false
	}
	payload, mac := raw[:i], raw[i+1:]
	if !hmac.Equal([]byte(mac), []byte(s.deviceMAC(payload))) {
		return "", false
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 {
		return "", false
	}
	user, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || string(user) != usernameKey {
		return "", false
	}
	issued, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || s.now().Sub(time.Unix(issued, 0)) > s.o.DeviceTTL {
		return "", false
	}
	return parts[2], true
}
