package accounts

import (
	"context"
	"errors"
	"time"

	"authsvc/apierr"
	"authsvc/models"
	"authsvc/passwords"
)

// Credentials checks username and password and returns the active user.
// Unknown user, wrong password and inactive user all cost the same hashing
// (see passwords.Hasher.Verify) and all return apierr.NoActiveAccount, so
// neither the answer nor its timing tells an attacker which names exist.
func (s *Service) Credentials(ctx context.Context, username, password string) (*models.User, error) {
	u, err := s.o.Store.UserByUsernameKey(ctx, UsernameKey(username))
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return nil, internal("login", err)
	}
	hash := ""
	if u != nil && u.IsActive {
		// An inactive user is checked as an unknown one: the login fails
		// either way, and this way it costs exactly what an unknown name
		// costs whatever kind of hash the user has.
		hash = u.PasswordHash
	}
	refund, err := s.spendLogin(ctx, u, username)
	if err != nil {
		return nil, err
	}
	ok, rehash, err := s.o.Hasher.Verify(ctx, password, hash)
	if err != nil && !errors.Is(err, passwords.ErrMalformedHash) {
		refund()
		return nil, internal("verify password", err)
	}
	if !ok || u == nil || !u.IsActive {
		return nil, apierr.NoActiveAccount
	}
	refund()
	if h := s.o.Hooks.AfterVerify; h != nil {
		h(ctx, u.ID)
	}
	if rehash {
		if err := s.rehash(ctx, u, password); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// rehash stores an argon2id hash with today's parameters for a password that
// just matched an older hash (parameters were raised, or it came from
// Django). The write is a compare-and-swap on the hash that was verified: if
// the password was changed or reset since, the swap matches nothing and the
// login fails as with a wrong password, because what it checked is no longer
// the user's password (the old code wrote the old password back here). Any
// other failure only delays the upgrade.
func (s *Service) rehash(ctx context.Context, u *models.User, password string) error {
	h, err := s.o.Hasher.Hash(ctx, password)
	if err != nil {
		return nil
	}
	swapped, err := s.o.Store.RehashPassword(ctx, u.ID, u.PasswordHash, h)
	if err != nil {
		s.o.Log.WarnContext(ctx, "rehash password failed", "user_id", u.ID, "err", err)
		return nil
	}
	if !swapped {
		s.o.Log.InfoContext(ctx, "login refused: password changed while it was checked", "user_id", u.ID)
		return apierr.NoActiveAccount
	}
	u.PasswordHash = h
	return nil
}

// Login checks the credentials and opens a session. It returns a fresh
// device cookie for the browser too (device.go), bound to the credential
// version the session was opened at.
//
// For a user with a second factor it opens nothing: the answer is the
// challenge (403 mfa_required with an mfa_token), and FinishMFA completes
// the login.
func (s *Service) Login(ctx context.Context, username, password string, m Meta) (Pair, DeviceCookie, error) {
	u, err := s.Credentials(ctx, username, password)
	if err == nil {
		err = s.beforeSession(ctx, u, FlowToken, 0, m)
	}
	if err == nil {
		var pair Pair
		if pair, err = s.OpenSession(ctx, u, m, passwordAuth(s.now())); err == nil {
			s.loginEvent("success")
			s.noteSignIn(ctx, u, m)
			return pair, s.newDeviceCookie(u), nil
		}
	}
	if e, ok := apierr.As(err); ok && e == apierr.NoActiveAccount {
		s.loginEvent("failure")
	}
	return Pair{}, DeviceCookie{}, err
}

// beforeSession is what a right password still has to pass before a
// session or key opens: a verified address (when required), then the
// second factor's challenge.
func (s *Service) beforeSession(ctx context.Context, u *models.User, flow string, keyTTL time.Duration, m Meta) error {
	if err := s.emailGate(u); err != nil {
		return err
	}
	return s.secondFactor(ctx, u, flow, keyTTL, m)
}

// OpenSession starts a session for u and returns its first token pair. u is
// the user as read when its password was checked: if its credential version
// has moved since (password changed or reset, deactivated, logged out
// everywhere), no session is written and the answer is the failed login's,
// apierr.NoActiveAccount: the password it checked may no longer be the
// user's, and a retry with the current one succeeds.
//
// a is how the user proved who they are; its time is rounded to the
// second, as the auth_time claim is.
func (s *Service) OpenSession(ctx context.Context, u *models.User, m Meta, a Auth) (Pair, error) {
	return s.openSession(ctx, u, m, a, func(sess *models.Session) error {
		return s.o.Store.CreateSession(ctx, sess, sess.CreatedAt, u.CredentialVersion)
	})
}

// openSession is OpenSession with the write of the session passed in (a
// login's second step writes it in the transaction that spends its code).
func (s *Service) openSession(ctx context.Context, u *models.User, m Meta, a Auth, write func(*models.Session) error) (Pair, error) {
	now := s.now().Truncate(time.Second)
	sid := newID()
	exp := now.Add(s.o.RefreshTTL)
	a.Time = a.Time.Truncate(time.Second)
	sess := &models.Session{
		ID: sid, UserID: u.ID, CreatedAt: now, LastUsedAt: now, ExpiresAt: exp,
		UserAgent: truncate(CleanText(m.UserAgent), 512), IP: truncate(m.IP, 64),
		RefreshGeneration: 1, RefreshIssuedAt: &now, AuthTime: &a.Time, AMR: joinAMR(a.AMR),
	}
	if err := write(sess); err != nil {
		if errors.Is(err, models.ErrCredentialChanged) {
			s.o.Log.InfoContext(ctx, "login refused: credentials changed while it was checked", "user_id", u.ID)
			return Pair{}, apierr.NoActiveAccount
		}
		return Pair{}, internal("open session", err)
	}
	refresh, err := s.signRefresh(u, sid, s.generationJTI(sid, 1), now, exp, a)
	if err != nil {
		return Pair{}, internal("open session", err)
	}
	access, err := s.signAccess(u, sid, now, a)
	if err != nil {
		return Pair{}, internal("open session", err)
	}
	return Pair{Access: access, Refresh: refresh}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary so the column stays valid UTF-8.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
