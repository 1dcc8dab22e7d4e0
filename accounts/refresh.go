package accounts

import (
	"context"
	"errors"
	"time"

	"authsvc/apierr"
	"authsvc/models"
	"authsvc/tokens"
)

// tokenError maps a verification failure to simplejwt's answer on the token
// endpoints.
func tokenError(err error) error {
	if errors.Is(err, tokens.ErrWrongType) {
		return apierr.Token(apierr.MsgTokenWrongType)
	}
	return apierr.Token(apierr.MsgTokenInvalid).WithCause(err)
}

// Refresh rotates a refresh token: validate, then one transaction that
// retires it and stores its successor (the lock), then decide what a token
// that was already retired means, then issue.
func (s *Service) Refresh(ctx context.Context, raw string) (Pair, error) {
	c, err := s.o.Tokens.Verify(raw, tokens.TypeRefresh)
	if err != nil {
		s.refreshEvent("invalid")
		return Pair{}, tokenError(err)
	}
	s.o.Hasher.TokenCheck()
	u, err := s.o.Store.UserByID(ctx, c.UserID)
	if errors.Is(err, models.ErrNotFound) {
		s.refreshEvent("invalid")
		return Pair{}, apierr.Token(apierr.MsgTokenInvalid)
	}
	if err != nil {
		return Pair{}, internal("refresh", err)
	}
	if !u.IsActive {
		s.refreshEvent("inactive")
		return Pair{}, apierr.UserInactive
	}

	now := s.now().Truncate(time.Second)
	childJTI := s.successorJTI(c.ID)
	child := &models.RefreshToken{JTIHash: hashJTI(childJTI), IssuedAt: now, ExpiresAt: now.Add(s.o.RefreshTTL)}
	rot, err := s.o.Store.Rotate(ctx, hashJTI(c.ID), child, now)
	if err != nil {
		return Pair{}, internal("rotate refresh token", err)
	}
	if rot.Session.ID != "" && rot.Session.ID != c.SessionID {
		// A jti recorded under another session than the token claims: never
		// issued by us that way.
		return Pair{}, apierr.Token(apierr.MsgTokenInvalid)
	}

	switch rot.Result {
	case models.Unknown:
		s.refreshEvent("invalid")
		return Pair{}, apierr.Token(apierr.MsgTokenInvalid)
	case models.SessionEnded:
		s.refreshEvent("session_ended")
		return Pair{}, apierr.Token(apierr.MsgTokenBlacklisted)
	case models.AlreadyUsed:
		return s.reused(ctx, u, c, childJTI, rot.UsedAt)
	}
	refresh, err := s.signRefresh(u, c.SessionID, childJTI, child.IssuedAt, child.ExpiresAt)
	if err != nil {
		return Pair{}, internal("refresh", err)
	}
	access, err := s.signAccess(u, c.SessionID, now)
	if err != nil {
		return Pair{}, internal("refresh", err)
	}
	s.refreshEvent("rotated")
	return Pair{Access: access, Refresh: refresh}, nil
}

// reused handles a refresh token presented after it was rotated away.
//
// Two browser tabs that share storage often refresh at the same moment: both
// send the same token, one wins the rotation, and the other arrives a few
// milliseconds later. Inside the grace interval the late one gets a fresh
// access token and the SAME successor refresh token the winner got (derived
// from the parent's id and re-signed from its stored times), so the session
// never forks into two chains. Past the grace interval a retired token can
// only mean it was copied: the whole session is revoked (RFC 9700 4.14.2).
func (s *Service) reused(ctx context.Context, u *models.User, c *tokens.Claims, childJTI string, usedAt time.Time) (Pair, error) {
	now := s.now()
	if now.Sub(usedAt) <= s.o.ReuseGrace {
		succ, err := s.o.Store.RefreshByHash(ctx, hashJTI(childJTI))
		if err != nil {
			return Pair{}, internal("load successor refresh token", err)
		}
		refresh, err := s.signRefresh(u, c.SessionID, childJTI, succ.IssuedAt.UTC(), succ.ExpiresAt.UTC())
		if err != nil {
			return Pair{}, internal("refresh", err)
		}
		access, err := s.signAccess(u, c.SessionID, now.Truncate(time.Second))
		if err != nil {
			return Pair{}, internal("refresh", err)
		}
		s.refreshEvent("grace")
		return Pair{Access: access, Refresh: refresh}, nil
	}
	if _, err := s.o.Store.RevokeSession(ctx, c.SessionID, 0, models.ReasonReuse, now); err != nil {
		return Pair{}, internal("revoke session on reuse", err)
	}
	s.o.Log.WarnContext(ctx, "refresh token reuse detected; session revoked",
		"user_id", u.ID, "session_id", c.SessionID)
	s.refreshEvent("reuse_detected")
	return Pair{}, apierr.Token(apierr.MsgTokenBlacklisted)
}

// VerifyToken checks any token of ours, as the verify endpoint does: the
// signature and claims, then that its session is live and, for a refresh
// token, that it has not been retired.
func (s *Service) VerifyToken(ctx context.Context, raw string) error {
	c, err := s.o.Tokens.Verify(raw, "")
	if err != nil {
		return tokenError(err)
	}
	s.o.Hasher.TokenCheck()
	var st models.SessionState
	if err := s.o.Store.SessionStateOf(ctx, c.SessionID, s.now(), &st); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return apierr.Token(apierr.MsgTokenInvalid)
		}
		return internal("verify token", err)
	}
	if st.UserID != c.UserID {
		return apierr.Token(apierr.MsgTokenInvalid)
	}
	if !st.UserActive {
		return apierr.UserInactive
	}
	if st.Revoked || !s.now().Before(st.ExpiresAt) {
		return apierr.Token(apierr.MsgTokenBlacklisted)
	}
	if c.TokenType == tokens.TypeRefresh {
		rt, err := s.o.Store.RefreshByHash(ctx, hashJTI(c.ID))
		if errors.Is(err, models.ErrNotFound) {
			return apierr.Token(apierr.MsgTokenInvalid)
		}
		if err != nil {
			return internal("verify token", err)
		}
		if rt.UsedAt != nil {
			return apierr.Token(apierr.MsgTokenBlacklisted)
		}
	}
	return nil
}

// Logout ends the session of a refresh token. A token already rotated away
// still logs its session out inside the grace interval (a tab that had not
// seen the newer token yet); later it is treated as reuse, which also ends
// the session but answers 401.
func (s *Service) Logout(ctx context.Context, raw string) error {
	c, err := s.o.Tokens.Verify(raw, tokens.TypeRefresh)
	if err != nil {
		return tokenError(err)
	}
	rt, err := s.o.Store.RefreshByHash(ctx, hashJTI(c.ID))
	if errors.Is(err, models.ErrNotFound) || (err == nil && rt.SessionID != c.SessionID) {
		return apierr.Token(apierr.MsgTokenInvalid)
	}
	if err != nil {
		return internal("logout", err)
	}
	now := s.now()
	reason := models.ReasonLogout
	reuse := rt.UsedAt != nil && now.Sub(*rt.UsedAt) > s.o.ReuseGrace
	if reuse {
		reason = models.ReasonReuse
	}
	found, err := s.o.Store.RevokeSession(ctx, c.SessionID, 0, reason, now)
	if err != nil {
		return internal("logout", err)
	}
	if !found || reuse {
		return apierr.Token(apierr.MsgTokenBlacklisted)
	}
	return nil
}
