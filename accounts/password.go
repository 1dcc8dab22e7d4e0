package accounts

import (
	"context"
	"errors"

	"authsvc/apierr"
	"authsvc/mail"
	"authsvc/models"
)

// ChangePasswordInput is the password change body.
type ChangePasswordInput struct {
	OldPassword, NewPassword Field
	// Code is the second factor (StepUp), when one is on.
	Code Field
}

// ChangePassword checks the old password, applies the policy to the new one,
// stores it and ends every other session (and API key) of the user. The
// session or key making the request stays, so the user is not logged out of
// the tab they are using.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, in ChangePasswordInput) error {
	var v apierr.Validation
	old, oldOK := required(&v, "old_password", in.OldPassword)
	pw, newOK := required(&v, "new_password", in.NewPassword)
	if oldOK {
		ok, err := s.checkPassword(ctx, &p.User, old)
		if err != nil {
			return internal("verify password", err)
		}
		if !ok {
			v.Add("old_password", "Your old password was entered incorrectly. Please enter it again.")
		}
	}
	if newOK {
		for _, msg := range s.o.Policy.Check(pw, p.User.Username, p.User.Email) {
			v.Add("new_password", msg)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.StepUp(ctx, p, in.Code); err != nil {
		return err
	}
	if err := s.setPassword(ctx, p.User.ID, pw, nil, p.SessionID, p.APIKeyID, models.ReasonPasswordChange); err != nil {
		return err
	}
	s.notify(ctx, &p.User, Notice{Kind: mail.KindPasswordChanged})
	return nil
}

// setPassword hashes and stores password for userID, with the other columns
// cols (nil: none), and revokes every session except keepSession and every
// API key except keepKey in the same transaction. Hashing comes first, so a
// failure there writes nothing.
func (s *Service) setPassword(ctx context.Context, userID int64, password string, cols map[string]any, keepSession, keepKey, reason string) error {
	hash, err := s.o.Hasher.Hash(ctx, password)
	if err != nil {
		return internal("hash password", err)
	}
	err = s.o.Store.SetPasswordRevoking(ctx, userID, hash, cols, keepSession, keepKey, reason, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return apierr.NotFound
	}
	if err != nil {
		return takenError(err, "set password")
	}
	return nil
}
