package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"authsvc/models"
)

// Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device
// Cookies"): a successful login gives the browser a cookie that names the
// user and a random nonce, signed with a key derived from the service
// secret. While the account is locked out by failed guesses, a login that
// carries a valid device cookie of that user spends the cookie's own budget
// instead (see spendLogin). The cookie is no credential: the password is
// still checked, and a cookie that fails too often is locked out in turn.
// Clients without a cookie jar are throttled as before.
//
// The cookie names the user by id and by the credential version the login
// verified (models.User.CredentialVersion), and is honoured only while both
// match the account being logged into:
//   - by id, not by name: a cookie of a name that was renamed away, or
//     deleted and registered again, must not apply to whoever holds the name
//     now (ids are never reused: AUTOINCREMENT on SQLite, a sequence on
//     PostgreSQL);
//   - by credential version: cookies are earned by knowing the password, so
//     they must end with it. Otherwise someone who once knew it could log in
//     N times, keep N cookies, and after the owner changed or reset the
//     password have N device budgets of guesses that never touch the
//     account's. A password change, reset, deactivation or logout everywhere
//     bumps the version and so ends every device cookie of the account.
//
// Value: id "." credential version "." issued (unix seconds) "." nonce "."
// base64url(HMAC-SHA256(device key, the four before)).

type deviceCtxKey struct{}

// WithDeviceCookie carries the device cookie a login request presented to
// the login methods (which have no other channel for it).
func WithDeviceCookie(ctx context.Context, raw string) context.Context {
	if raw == "" {
		return ctx
	}
	return context.WithValue(ctx, deviceCtxKey{}, raw)
}

// DeviceCookie is the device cookie to give the browser after a login; an
// empty Value means none.
type DeviceCookie struct {
	Value string
	TTL   time.Duration
}

// deviceKey is the cookie's signing key, derived from the secret so that
// it is shared by every instance and is no other key of the service. "v2":
// the v1 cookies named the username and must not verify as v2 ones.
func (s *Service) deviceKey() []byte {
	m := hmac.New(sha256.New, s.o.Secret)
	m.Write([]byte("authsvc device cookie v2"))
	return m.Sum(nil)
}

func (s *Service) deviceMAC(payload string) string {
	m := hmac.New(sha256.New, s.deviceKey())
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// newDeviceCookie returns a fresh device cookie for u as it was read when
// its password was checked (so the cookie carries the credential version
// that password belongs to). It returns none when there is no failure
// budget (AUTH_THROTTLE=off): the cookie would then serve nothing.
func (s *Service) newDeviceCookie(u *models.User) DeviceCookie {
	if s.o.Budget == nil || s.o.DeviceTTL <= 0 {
		return DeviceCookie{}
	}
	payload := strconv.FormatInt(u.ID, 10) + "." + strconv.FormatInt(u.CredentialVersion, 10) + "." +
		strconv.FormatInt(s.now().Unix(), 10) + "." + newID()
	return DeviceCookie{Value: payload + "." + s.deviceMAC(payload), TTL: s.o.DeviceTTL}
}

// deviceNonce returns the nonce of the device cookie in ctx when it is
// well-formed, signed by us, not older than DeviceTTL and issued to u at
// its current credential version. u is nil for a name that belongs to no
// account: no cookie is honoured for it.
func (s *Service) deviceNonce(ctx context.Context, u *models.User) (string, bool) {
	raw, _ := ctx.Value(deviceCtxKey{}).(string)
	if u == nil || raw == "" || len(raw) > 1024 || s.o.DeviceTTL <= 0 {
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
	if len(parts) != 4 {
		return "", false
	}
	id, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || id != u.ID {
		return "", false
	}
	version, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || version != u.CredentialVersion {
		return "", false
	}
	issued, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || s.now().Sub(time.Unix(issued, 0)) > s.o.DeviceTTL {
		return "", false
	}
	return parts[3], true
}
