package accounts

import (
	"context"
	"errors"
	"time"

	"authsvc/apierr"
	"authsvc/models"
)

// issue signs the session's current generation (its stored iat and exp, and
// the auth claims of the token presented, so a late twin gets the very token
// the winner got) and a fresh access token.
func (s *Service) issue(ctx context.Context, u *models.User, t *RefreshToken, st *models.RefreshState, now time.Time) (Pair, error) {
	sid := t.SessionID()
	a, err := s.refreshAuth(ctx, t)
	if err != nil {
		return Pair{}, err
	}
	refresh, err := s.signRefresh(u, sid, s.generationJTI(sid, st.Generation), st.IssuedAt.UTC(), st.ExpiresAt.UTC(), a)
	if err != nil {
		return Pair{}, internal("refresh", err)
	}
	access, err := s.signAccess(u, sid, now, a)
	if err != nil {
		return Pair{}, internal("refresh", err)
	}
	return Pair{Access: access, Refresh: refresh}, nil
}

// issueLegacySuccessor answers a legacy token retired just before the
// upgrade, inside the grace interval, as the old versions did: the same
// successor (a keyed function of the parent's jti, with its stored times).
func (s *Service) issueLegacySuccessor(ctx context.Context, u *models.User, t *RefreshToken, now time.Time) (Pair, error) {
	jti := s.successorJTI(t.claims.ID)
	succ, err := s.o.Store.LegacyRefresh(ctx, hashJTI(jti))
	if err != nil {
		return Pair{}, internal("load legacy successor", err)
	}
	a, err := s.refreshAuth(ctx, t)
	if err != nil {
		return Pair{}, err
	}
	// Without auth claims: the old versions signed none, and the twin must
	// get the very bytes the first presentation got.
	refresh, err := s.signRefresh(u, t.SessionID(), jti, succ.IssuedAt.UTC(), succ.ExpiresAt.UTC(), Auth{})
	if err != nil {
		return Pair{}, internal("refresh", err)
	}
	access, err := s.signAccess(u, t.SessionID(), now, a)
	if err != nil {
		return Pair{}, internal("refresh", err)
	}
	return Pair{Access: access, Refresh: refresh}, nil
}

// refreshAuth is the auth claims t passes on: its own, or for a token made
// before they existed, the session's (read once: its successor carries them).
func (s *Service) refreshAuth(ctx context.Context, t *RefreshToken) (Auth, error) {
	if a, ok := authOf(&t.claims); ok {
		return a, nil
	}
	at, amr, err := s.o.Store.SessionAuth(ctx, t.SessionID())
	if errors.Is(err, models.ErrNotFound) {
		// Deleted since it rotated (its user deleted, or cleaned up).
		return Auth{}, apierr.Token(apierr.MsgTokenInvalid)
	}
	if err != nil {
		return Auth{}, internal("read session auth", err)
	}
	return Auth{Time: at.UTC(), AMR: splitAMR(amr)}, nil
}
