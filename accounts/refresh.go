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

// RefreshToken is a refresh token whose signature and claims checked: what
// rotation, logout and the refresh throttle work from, so the token is
// verified once per request.
type RefreshToken struct {
	claims tokens.Claims
	gen    int64 // 0: a legacy token (no generation in its jti)
	legacy bool
}

// SessionID is the session the token names.
func (t *RefreshToken) SessionID() string { return t.claims.SessionID }

// ParseRefresh verifies a refresh token's signature, type and times for a
// refresh (a failure counts as an invalid refresh in the metrics).
func (s *Service) ParseRefresh(raw string) (*RefreshToken, error) {
	t, err := parseRefresh(s.o.Tokens, raw)
	if err != nil {
		s.refreshEvent("invalid")
	}
	return t, err
}

func parseRefresh(v *tokens.Service, raw string) (*RefreshToken, error) {
	c, err := v.Verify(raw, tokens.TypeRefresh)
	if err != nil {
		return nil, tokenError(err)
	}
	return refreshOf(c)
}

func refreshOf(c *tokens.Claims) (*RefreshToken, error) {
	gen, dotted, bad := jtiGeneration(c.ID)
	if bad {
		return nil, apierr.Token(apierr.MsgTokenInvalid)
	}
	return &RefreshToken{claims: *c, gen: gen, legacy: !dotted}, nil
}

// Refresh rotates a refresh token (ParseRefresh, then Rotate).
func (s *Service) Refresh(ctx context.Context, raw string) (Pair, error) {
	t, err := s.ParseRefresh(raw)
	if err != nil {
		return Pair{}, err
	}
	return s.Rotate(ctx, t)
}

// Rotate is the one rotation core, the same on every database: validate
// (the user, and for a legacy token its row and session), lock (one
// conditional UPDATE of the session's generation, models.StepRefresh),
// decide (classify), issue.
func (s *Service) Rotate(ctx context.Context, t *RefreshToken) (Pair, error) {
	s.o.Hasher.TokenCheck()
	u, err := s.o.Store.UserByID(ctx, t.claims.UserID)
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
	p, err := s.presentedOf(ctx, t)
	if err != nil {
		s.refreshEvent("invalid")
		return Pair{}, err
	}
	now := s.now().Truncate(time.Second)
	var st models.RefreshState
	if p.gen == legacyRetired {
		err = s.o.Store.RefreshStateOf(ctx, t.SessionID(), &st)
	} else {
		step := models.RefreshStep{SessionID: t.SessionID(), UserID: u.ID, From: p.gen, Now: now, ExpiresAt: now.Add(s.o.RefreshTTL)}
		if t.legacy {
			step.Legacy = hashJTI(t.claims.ID)
		}
		err = s.o.Store.StepRefresh(ctx, &step, &st)
	}
	if err != nil {
		return Pair{}, internal("rotate refresh token", err)
	}
	if st.Rotated {
		s.refreshEvent("rotated")
		return s.issue(ctx, u, t, &st, now)
	}
	if t.legacy && p.gen == 0 {
		// Its row may have been retired since it was read (an old version
		// still serving): judge the token by the row as it is now.
		if p, err = s.presentedOf(ctx, t); err != nil {
			s.refreshEvent("invalid")
			return Pair{}, err
		}
	}
	// The grace interval is measured on the unrounded clock: the stored
	// times are whole seconds, and with a zero grace a twin later in the
	// same second is a replay.
	switch classify(p, &st, s.now(), s.o.ReuseGrace) {
	case previous:
		s.refreshEvent("grace")
		return s.issue(ctx, u, t, &st, now)
	case previousLegacy:
		s.refreshEvent("grace")
		return s.issueLegacySuccessor(ctx, u, t, now)
	case ended:
		s.refreshEvent("session_ended")
		return Pair{}, apierr.Token(apierr.MsgTokenBlacklisted)
	case replayed:
		return Pair{}, s.replayed(ctx, u.ID, t.SessionID(), now)
	}
	// invalid, or current without the step matching (cannot happen: the
	// step's WHERE is classify's "current").
	s.refreshEvent("invalid")
	return Pair{}, apierr.Token(apierr.MsgTokenInvalid)
}

// presentedOf says which generation t stands for. A legacy token is looked
// up in the legacy table; a row under another session than the token names
// was never issued that way, and is refused before anything is written.
func (s *Service) presentedOf(ctx context.Context, t *RefreshToken) (presented, error) {
	p := presented{userID: t.claims.UserID, gen: t.gen}
	if !t.legacy {
		return p, nil
	}
	row, err := s.o.Store.LegacyRefresh(ctx, hashJTI(t.claims.ID))
	if errors.Is(err, models.ErrNotFound) || (err == nil && row.SessionID != t.SessionID()) {
		return p, apierr.Token(apierr.MsgTokenInvalid)
	}
	if err != nil {
		return p, internal("load legacy refresh token", err)
	}
	if row.UsedAt != nil {
		p.gen, p.retiredAt = legacyRetired, *row.UsedAt
	}
	return p, nil
}

// replayed ends a session whose retired refresh token came back.
func (s *Service) replayed(ctx context.Context, userID int64, sid string, now time.Time) error {
	if _, err := s.o.Store.RevokeSession(ctx, sid, 0, models.ReasonReuse, now); err != nil {
		return internal("revoke session on reuse", err)
	}
	s.o.Log.WarnContext(ctx, "refresh token reuse detected; session revoked", "user_id", userID, "session_id", sid)
	s.refreshEvent("reuse_detected")
	return apierr.Token(apierr.MsgTokenBlacklisted)
}

// standingOf reads t's session and classifies t (logout and verify).
func (s *Service) standingOf(ctx context.Context, t *RefreshToken) (standing, error) {
	p, err := s.presentedOf(ctx, t)
	if err != nil {
		return 0, err
	}
	var st models.RefreshState
	if err := s.o.Store.RefreshStateOf(ctx, t.SessionID(), &st); err != nil {
		return 0, internal("read refresh state", err)
	}
	return classify(p, &st, s.now(), s.o.ReuseGrace), nil
}

// Logout ends the session of a refresh token. A token just rotated away
// still logs its session out inside the grace interval (a tab that had not
// seen the newer token yet); an older one is treated as reuse, which also
// ends the session but answers 401.
func (s *Service) Logout(ctx context.Context, raw string) error {
	t, err := parseRefresh(s.o.Tokens, raw)
	if err != nil {
		return err
	}
	class, err := s.standingOf(ctx, t)
	if err != nil {
		return err
	}
	reason := models.ReasonLogout
	switch class {
	case invalid:
		return apierr.Token(apierr.MsgTokenInvalid)
	case replayed:
		reason = models.ReasonReuse
	}
	found, err := s.o.Store.RevokeSession(ctx, t.SessionID(), 0, reason, s.now())
	if err != nil {
		return internal("logout", err)
	}
	if !found || class == replayed {
		return apierr.Token(apierr.MsgTokenBlacklisted)
	}
	return nil
}

// VerifyToken checks any token of ours, as the verify endpoint does: the
// signature and claims, then that its session is live and, for a refresh
// token, that it is the session's current one.
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
	if c.TokenType != tokens.TypeRefresh {
		return nil
	}
	t, err := refreshOf(c)
	if err != nil {
		return err
	}
	switch class, err := s.standingOf(ctx, t); {
	case err != nil:
		return err
	case class == invalid:
		return apierr.Token(apierr.MsgTokenInvalid)
	case class != current:
		return apierr.Token(apierr.MsgTokenBlacklisted)
	}
	return nil
}
