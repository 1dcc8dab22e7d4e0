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
// Unknown user, wrong password and inactive user all cost one password hash
// and all return apierr.NoActiveAccount, so neither the answer nor its timing
// tells an attacker which names exist.
func (s *Service) Credentials(ctx context.Context, username, password string) (*models.User, error) {
	u, err := s.o.Store.UserByUsernameKey(ctx, UsernameKey(username))
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return nil, internal("login", err)
	}
	hash := ""
	if u != nil {
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
	if rehash {
		// Parameters were raised, or the hash came from Django: store an
		// argon2id hash with today's parameters. A failure only delays this.
		if h, err := s.o.Hasher.Hash(ctx, password); err == nil {
			if err := s.o.Store.UpdateUser(ctx, u.ID, map[string]any{"password_hash": h}); err != nil {
				s.o.Log.WarnContext(ctx, "rehash password failed", "user_id", u.ID, "err", err)
			} else {
				u.PasswordHash = h
			}
		}
	}
	return u, nil
}

// Login checks the credentials and opens a session.
func (s *Service) Login(ctx context.Context, username, password string, m Meta) (Pair, error) {
	u, err := s.Credentials(ctx, username, password)
	if err != nil {
		if e, ok := apierr.As(err); ok && e == apierr.NoActiveAccount {
			s.loginEvent("failure")
		}
		return Pair{}, err
	}
	pair, err := s.OpenSession(ctx, u, m)
	if err != nil {
		return Pair{}, err
	}
	s.loginEvent("success")
	return pair, nil
}

// OpenSession starts a session for u and returns its first token pair.
func (s *Service) OpenSession(ctx context.Context, u *models.User, m Meta) (Pair, error) {
	now := s.now().Truncate(time.Second)
	sid, jti := newID(), newID()
	exp := now.Add(s.o.RefreshTTL)
	sess := &models.Session{
		ID: sid, UserID: u.ID, CreatedAt: now, LastUsedAt: now, ExpiresAt: exp,
		UserAgent: truncate(CleanText(m.UserAgent), 512), IP: truncate(m.IP, 64),
	}
	rt := &models.RefreshToken{JTIHash: hashJTI(jti), SessionID: sid, IssuedAt: now, ExpiresAt: exp}
	if err := s.o.Store.CreateSession(ctx, sess, rt, now); err != nil {
		return Pair{}, internal("open session", err)
	}
	refresh, err := s.signRefresh(u, sid, jti, now, exp)
	if err != nil {
		return Pair{}, internal("open session", err)
	}
	access, err := s.signAccess(u, sid, now)
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
