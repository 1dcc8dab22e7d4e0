package accounts

import (
	"context"

	"authsvc/apierr"
	"authsvc/models"
)

// Sessions lists the principal's live sessions.
func (s *Service) Sessions(ctx context.Context, p *Principal, offset, limit int) ([]models.Session, int64, error) {
	list, total, err := s.o.Store.LiveSessions(ctx, p.User.ID, s.now(), offset, limit)
	if err != nil {
		return nil, 0, internal("list sessions", err)
	}
	return list, total, nil
}

// EndSession revokes one of the principal's own sessions. Another user's
// session id answers 404, exactly like an unknown one, so ids cannot be probed.
func (s *Service) EndSession(ctx context.Context, p *Principal, id string) error {
	if !Storable(id) { // no session has such an id; PostgreSQL would refuse the query
		return apierr.NotFound
	}
	found, err := s.o.Store.RevokeSession(ctx, id, p.User.ID, models.ReasonUser, s.now())
	if err != nil {
		return internal("end session", err)
	}
	if !found {
		return apierr.NotFound
	}
	return nil
}

// LogoutAll ends every session and API key of the principal's user.
func (s *Service) LogoutAll(ctx context.Context, p *Principal) error {
	return s.RevokeAll(ctx, p.User.ID, models.ReasonLogoutAll)
}

// RevokeAll ends every session and API key of userID (logout everywhere,
// admin action, deactivation).
func (s *Service) RevokeAll(ctx context.Context, userID int64, reason string) error {
	if err := s.o.Store.RevokeUserAccess(ctx, userID, "", "", reason, s.now()); err != nil {
		return internal("revoke sessions", err)
	}
	return nil
}
