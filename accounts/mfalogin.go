package accounts

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"

	"authsvc/apierr"
	"authsvc/models"
)

// Flows: the endpoint a login with a second factor started at, which is
// the shape its second step (FinishMFA) answers in.
const (
	FlowToken    = "token"    // POST /api/auth/token/: a token pair
	FlowKey      = "api_key"  // POST /api-token-auth/: {"token"}
	FlowAccounts = "accounts" // POST /api/accounts/login/: {"token", "user"}
)

const (
	// ChallengeTTL is how long an mfa_token lives: long enough to open an
	// authenticator app, short enough that a leaked one is soon worthless.
	ChallengeTTL = 5 * time.Minute
	// ChallengeAttempts is how many wrong codes kill an mfa_token: the
	// password has to be proved again after that.
	ChallengeAttempts = 5
)

// secondFactor is the step between a right password and a session: for a
// user with a factor on it writes a challenge and returns the 403 that
// carries its mfa_token. It runs only after the password matched, so it
// says nothing about the factor to anyone who does not know the password,
// and a wrong password costs the same with or without one.
func (s *Service) secondFactor(ctx context.Context, u *models.User, flow string, keyTTL time.Duration, m Meta) error {
	st, err := s.o.Store.MFAState(ctx, u.ID)
	if err != nil {
		return internal("login mfa state", err)
	}
	if !st.Enabled {
		return nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return internal("mfa token", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	c := &models.MFAChallenge{
		Hash: hashJTI(token), UserID: u.ID, Flow: flow, KeyTTLSeconds: int64(keyTTL / time.Second),
		CredentialVersion: u.CredentialVersion, CreatedAt: now, ExpiresAt: now.Add(ChallengeTTL),
		UserAgent: truncate(CleanText(m.UserAgent), 512), IP: truncate(m.IP, 64),
	}
	if err := s.o.Store.CreateChallenge(ctx, c); err != nil {
		return internal("create mfa challenge", err)
	}
	s.loginEvent("mfa_required")
	methods := []string{"totp"}
	if st.RecoveryLeft > 0 {
		methods = append(methods, "recovery")
	}
	return apierr.MFAChallenge(token, methods)
}

// MFAResult is a finished login, in the shape of the flow it started in.
type MFAResult struct {
	Flow   string
	Pair   Pair         // FlowToken
	Device DeviceCookie // FlowToken
	Key    string       // FlowKey, FlowAccounts
	User   *models.User // FlowAccounts
}

// FinishMFA is the second step of a login: the mfa_token and a code (TOTP
// or recovery). A wrong code counts against the token (dead after
// ChallengeAttempts) and the account's failure budget; the token, the code
// and the session or key the login opens are written together, once. That
// session or key records amr pwd+otp+mfa and the time of this step. allow,
// when set, is asked about the flow before anything is spent (the HTTP
// layer's CSRF check for a flow that plants a cookie); its error is the
// answer.
func (s *Service) FinishMFA(ctx context.Context, token, code string, m Meta, allow func(flow string) error) (MFAResult, error) {
	c, u, err := s.liveChallenge(ctx, token)
	if err != nil {
		return MFAResult{}, err
	}
	if err := s.emailGate(u); err != nil {
		// Verification turned required since the first step.
		return MFAResult{}, err
	}
	if allow != nil {
		if err := allow(c.Flow); err != nil {
			return MFAResult{}, err
		}
	}
	// The budget the password step spent from: the device cookie's when the
	// browser holds a valid one (its path covers this endpoint), so that a
	// stranger's guesses at the password do not lock the owner out here.
	refund, err := s.spendLogin(ctx, u, "")
	if err != nil {
		return MFAResult{}, err
	}
	r, ok, err := s.attempt(ctx, c, u, code, m)
	if err != nil {
		refund() // not a guess that counts
		return MFAResult{}, err
	}
	if !ok {
		s.loginEvent("failure")
		return MFAResult{}, apierr.MFAInvalid
	}
	refund()
	s.loginEvent("success")
	s.noteSignIn(ctx, u, m)
	return r, nil
}

// attempt counts one attempt against the challenge, then tries code.
func (s *Service) attempt(ctx context.Context, c *models.MFAChallenge, u *models.User, code string, m Meta) (MFAResult, bool, error) {
	reserved, err := s.o.Store.ReserveAttempt(ctx, c.Hash, ChallengeAttempts, s.now())
	if err != nil {
		return MFAResult{}, false, internal("count mfa attempt", err)
	}
	if !reserved {
		return MFAResult{}, false, apierr.MFATokenInvalid
	}
	return s.tryFinish(ctx, c, u, code, m)
}

// tryFinish checks code against the user's factor and, when it is good,
// finishes the login. ok false is a wrong code, or one spent by another
// request a moment ago (a replay).
func (s *Service) tryFinish(ctx context.Context, c *models.MFAChallenge, u *models.User, code string, m Meta) (MFAResult, bool, error) {
	st, err := s.o.Store.MFAState(ctx, u.ID)
	if err != nil {
		return MFAResult{}, false, internal("mfa state", err)
	}
	if !st.Enabled {
		// Removed since the password was checked: the login starts over.
		return MFAResult{}, false, apierr.MFATokenInvalid
	}
	use, ok, err := s.matchFactor(ctx, u.ID, &st, code)
	if h := s.o.Hooks.MFACodeChecked; h != nil && err == nil {
		h(ctx, u.ID)
	}
	if err != nil || !ok {
		return MFAResult{}, false, err
	}
	r, err := s.finishLogin(ctx, c, u, m, use)
	if errors.Is(err, models.ErrFactorUsed) {
		return MFAResult{}, false, nil
	}
	return r, err == nil, err
}

// liveChallenge loads the challenge of token and its user, as long as both
// still stand as they were when the password was checked.
func (s *Service) liveChallenge(ctx context.Context, token string) (*models.MFAChallenge, *models.User, error) {
	if token == "" || len(token) > 128 {
		return nil, nil, apierr.MFATokenInvalid
	}
	c, err := s.o.Store.Challenge(ctx, hashJTI(token))
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, apierr.MFATokenInvalid
	}
	if err != nil {
		return nil, nil, internal("read mfa challenge", err)
	}
	if c.UsedAt != nil || c.Attempts >= ChallengeAttempts || !s.now().Before(c.ExpiresAt) {
		return nil, nil, apierr.MFATokenInvalid
	}
	u, err := s.o.Store.UserByID(ctx, c.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, apierr.MFATokenInvalid
	}
	if err != nil {
		return nil, nil, internal("read user", err)
	}
	if !u.IsActive || u.CredentialVersion != c.CredentialVersion {
		// Password changed, deactivated or logged out everywhere since.
		return nil, nil, apierr.MFATokenInvalid
	}
	return c, u, nil
}

// finishLogin opens what the flow asked for, in the transaction that
// spends the challenge and the factor (models.FinishChallenge), at the
// credential version the password was checked at: a change since refuses
// it.
func (s *Service) finishLogin(ctx context.Context, c *models.MFAChallenge, u *models.User, m Meta, use models.FactorUse) (MFAResult, error) {
	r := MFAResult{Flow: c.Flow}
	now := s.now()
	a := Auth{Time: now, AMR: amrTOTP}
	open := models.Opening{CredentialVersion: c.CredentialVersion}
	finish := func() error { return s.o.Store.FinishChallenge(ctx, c, use, ChallengeAttempts, now, open) }
	var err error
	switch c.Flow {
	case FlowToken:
		r.Pair, err = s.openSession(ctx, u, m, a, func(sess *models.Session) error { open.Session = sess; return finish() })
		if err == nil {
			r.Device = s.newDeviceCookie(u)
		}
	default:
		r.User = u
		ttl := time.Duration(c.KeyTTLSeconds) * time.Second
		r.Key, err = s.issueKey(ctx, u, ttl, a.AMR, func(k *models.APIKey) error { open.Key = k; return finish() })
	}
	if e, ok := apierr.As(err); errors.Is(err, models.ErrChallengeDead) || (ok && e == apierr.NoActiveAccount) {
		return MFAResult{}, apierr.MFATokenInvalid
	}
	return r, err
}
