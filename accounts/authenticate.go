package accounts

import (
	"context"
	"errors"
	"time"

	"authsvc/apierr"
	"authsvc/models"
	"authsvc/tokens"
)

// touchEvery bounds how often a session's last_used_at is written from the
// request path: often enough for the sessions list, rare enough that reads
// do not turn into writes.
const touchEvery = time.Minute

// Authenticate is the hot path behind every Bearer request: verify the JWT
// (no I/O), then one indexed query for the session and its user.
func (s *Service) Authenticate(ctx context.Context, raw string) (*Principal, error) {
	c, err := s.o.Tokens.Verify(raw, tokens.TypeAccess)
	if err != nil {
		if errors.Is(err, tokens.ErrWrongType) {
			return nil, apierr.AccessTokenInvalid(apierr.MsgTokenWrongType)
		}
		return nil, apierr.AccessTokenInvalid(apierr.MsgTokenInvalid)
	}
	// A genuine token check keeps a core free of password hashing (see
	// passwords.Hasher); only after the signature held, so that garbage
	// tokens cannot hold the spare hashing slot back.
	s.o.Hasher.TokenCheck()
	p := &Principal{SessionID: c.SessionID, AMR: c.AMR, staffNeedsMFA: s.o.AdminRequireMFA}
	if len(p.AMR) == 0 {
		p.AMR = amrPassword // a token from before amr existed: a password login
	}
	var row models.AuthRow
	if err := s.o.Store.AuthLookup(ctx, c.SessionID, &row); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			// The session is gone: its user was deleted (cascade) or it was
			// cleaned up after expiry.
			return nil, apierr.AccessTokenInvalid(apierr.MsgTokenInvalid)
		}
		return nil, internal("authenticate", err)
	}
	if row.User.ID != c.UserID {
		return nil, apierr.AccessTokenInvalid(apierr.MsgTokenInvalid)
	}
	if !row.User.IsActive {
		return nil, apierr.UserInactive
	}
	now := s.now()
	if row.RevokedAt.Valid || !now.Before(row.ExpiresAt) {
		return nil, apierr.AccessTokenInvalid(apierr.MsgTokenBlacklisted)
	}
	if now.Sub(row.LastUsedAt) > touchEvery {
		if err := s.o.Store.TouchSession(ctx, c.SessionID, now); err != nil {
			s.o.Log.WarnContext(ctx, "touch session failed", "err", err)
		}
	}
	p.User = row.User
	return p, nil
}
