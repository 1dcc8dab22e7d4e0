package accounts

import (
	"context"
	"errors"

	"authsvc/apierr"
	"authsvc/models"
)

// CreateSuperuser registers a user with the same rules as the register
// endpoint (username, email, password policy) and makes it staff and
// superuser: the management command behind "authsvc createsuperuser".
func (s *Service) CreateSuperuser(ctx context.Context, username, email, password string) (*models.User, error) {
	in := RegisterInput{Username: Str(username), Password: Str(password)}
	if email != "" {
		in.Email = Str(email)
	}
	u, err := s.Register(ctx, in)
	if err != nil {
		return nil, err
	}
	// The operator who runs the command vouches for the address: a
	// superuser must not be locked out by AUTH_EMAIL_VERIFICATION=required.
	cols := map[string]any{"is_staff": true, "is_superuser": true, "email_verified": email != ""}
	if err := s.o.Store.UpdateUser(ctx, u.ID, cols); err != nil {
		return nil, internal("promote superuser", err)
	}
	u.IsStaff, u.IsSuperuser, u.EmailVerified = true, true, email != ""
	return u, nil
}

// SetPasswordByName sets the password of the named user after the policy
// check and ends every session and API key of theirs: the management command
// behind "authsvc changepassword".
func (s *Service) SetPasswordByName(ctx context.Context, username, password string) error {
	u, err := s.o.Store.UserByUsernameKey(ctx, UsernameKey(username))
	if errors.Is(err, models.ErrNotFound) {
		return apierr.Field("username", "User not found.")
	}
	if err != nil {
		return internal("load user", err)
	}
	var v apierr.Validation
	for _, msg := range s.o.Policy.Check(password, u.Username, u.Email) {
		v.Add("password", msg)
	}
	if err := v.Err(); err != nil {
		return err
	}
	return s.setPassword(ctx, u.ID, password, nil, "", "", models.ReasonPasswordChange)
}
