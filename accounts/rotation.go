package accounts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"authsvc/models"
)

// A refresh token names its session (sid) and its generation, which rides
// in the jti after a dot: "<mac>.<generation>". The mac, keyed by the
// service secret over the session and generation, makes jtis unique and
// unguessable while letting a late twin inside the grace interval be given
// exactly the token the winner got. Tokens issued before generations
// existed have a random jti without a dot (legacy.go in models).

// legacyRetired marks a legacy token whose row was retired before the
// upgrade: older than generation 0, the legacy session's live token.
const legacyRetired = -1

// generationJTI is the jti of generation gen of session sid.
func (s *Service) generationJTI(sid string, gen int64) string {
	m := hmac.New(sha256.New, s.o.Secret)
	m.Write([]byte("refresh-generation\x00"))
	m.Write([]byte(sid))
	m.Write([]byte{0})
	m.Write(strconv.AppendInt(nil, gen, 10))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16]) + "." + strconv.FormatInt(gen, 10)
}

// jtiGeneration reads the generation from a jti: ok false for a legacy jti
// (no dot). A dotted jti whose generation is not a positive number is
// malformed (bad true).
func jtiGeneration(jti string) (gen int64, ok, bad bool) {
	i := strings.LastIndexByte(jti, '.')
	if i < 0 {
		return 0, false, false
	}
	gen, err := strconv.ParseInt(jti[i+1:], 10, 64)
	if err != nil || gen < 1 {
		return 0, true, true
	}
	return gen, true, false
}

// standing is what a presented refresh token is, against its session's
// state: the rules of rotation, in one place for refresh, logout and verify.
type standing int

const (
	// invalid: not a token this database issued (unknown session, another
	// user's, a generation never reached).
	invalid standing = iota + 1
	// ended: the session is revoked or expired.
	ended
	// current: the session's live token.
	current
	// previous: the generation just retired, inside the grace interval (a
	// racing tab): it gets the current token, never a fork.
	previous
	// previousLegacy: a legacy token retired before the upgrade, inside the
	// grace interval; its successor is the legacy row that replaced it.
	previousLegacy
	// replayed: anything older, or the previous generation after the grace:
	// the token was copied, and the session ends (RFC 9700 4.14.2).
	replayed
)

// presented is the generation a token stands for: its own, 0 for a legacy
// token whose row is live, legacyRetired (with the time it was retired) for
// one already rotated away.
type presented struct {
	userID    int64
	gen       int64
	retiredAt time.Time
}

// classify applies the rules to a token and its session's state at now.
func classify(p presented, st *models.RefreshState, now time.Time, grace time.Duration) standing {
	if p.gen == legacyRetired && st.Generation == 1 && p.retiredAt.Equal(st.IssuedAt) {
		// The legacy token whose rotation opened generation 1 (the step
		// retired its row at that very time): generation 0.
		p.gen = 0
	}
	switch {
	case !st.Found || st.UserID != p.userID || p.gen > st.Generation:
		return invalid
	case st.Revoked || !now.Before(st.ExpiresAt):
		return ended
	case p.gen == st.Generation:
		return current
	case p.gen == st.Generation-1 && p.gen >= 0 && now.Sub(st.IssuedAt) <= grace:
		return previous
	case p.gen == legacyRetired && st.Generation == 0 && now.Sub(p.retiredAt) <= grace:
		return previousLegacy
	}
	return replayed
}
