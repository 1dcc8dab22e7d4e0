package accounts

import (
	"context"
	"errors"

	"authsvc/apierr"
	"authsvc/config"
	"authsvc/models"
)

// RegisterInput is the register endpoint's body.
type RegisterInput struct {
	Username, Password, Email, Bio, ProfilePicture Field
}

const (
	msgUsernameTaken = "A user with that username already exists."
	msgEmailTaken    = "A user with that email already exists."
)

// Register validates in and creates the user. Every field error is reported
// at once, as DRF does.
func (s *Service) Register(ctx context.Context, in RegisterInput) (*models.User, error) {
	var v apierr.Validation
	username, _ := required(&v, "username", in.Username)
	username = NormalizeUsername(username)
	if in.Username.State == Present && in.Username.Value != "" {
		if msg := usernameError(username); msg != "" {
			v.Add("username", msg)
		}
	}
	password, pwOK := required(&v, "password", in.Password)
	email, _, _ := optional(&v, "email", in.Email)
	if email == "" && s.o.Email.Mode == config.EmailRequired && !v.Has("email") {
		v.Add("email", "This field is required.")
	}
	if email != "" {
		if msg := emailError(email); msg != "" {
			v.Add("email", msg)
		}
	}
	bio, _, _ := optional(&v, "bio", in.Bio)
	if msg := bioError(bio); msg != "" {
		v.Add("bio", msg)
	}
	picture, _, _ := optional(&v, "profile_picture", in.ProfilePicture)
	if picture != "" {
		if msg := pictureURLError(picture); msg != "" {
			v.Add("profile_picture", msg)
		}
	}
	if pwOK {
		for _, msg := range s.o.Policy.Check(password, username, email) {
			v.Add("password", msg)
		}
	}
	if !v.Has("username") {
		taken, err := s.o.Store.UsernameKeyTaken(ctx, UsernameKey(username), 0)
		if err != nil {
			return nil, internal("register", err)
		}
		if taken {
			v.Add("username", msgUsernameTaken)
		}
	}
	if email != "" && !v.Has("email") {
		taken, err := s.o.Store.EmailKeyTaken(ctx, emailKey(email), 0)
		if err != nil {
			return nil, internal("register", err)
		}
		if taken {
			v.Add("email", msgEmailTaken)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := s.o.Hasher.Hash(ctx, password)
	if err != nil {
		return nil, internal("hash password", err)
	}
	u := &models.User{
		Username: username, UsernameKey: UsernameKey(username), Email: email,
		PasswordHash: hash, Bio: bio, ProfilePicture: picture,
		IsActive: true, DateJoined: s.now(),
	}
	if email != "" {
		k := emailKey(email)
		u.EmailKey = &k
	}
	if err := s.o.Store.CreateUser(ctx, u); err != nil {
		return nil, takenError(err, "register")
	}
	if email != "" && s.verifying() {
		s.sendVerification(ctx, u, email, false)
	}
	return u, nil
}

// takenError turns a unique-index race into the same 400 the pre-check gives.
func takenError(err error, op string) error {
	switch {
	case errors.Is(err, models.ErrUsernameTaken):
		return apierr.Field("username", msgUsernameTaken)
	case errors.Is(err, models.ErrEmailTaken):
		return apierr.Field("email", msgEmailTaken)
	}
	return internal(op, err)
}

// DeleteAccount removes the principal's account after checking its password.
//
// With a second factor on it takes a code too (StepUp).
func (s *Service) DeleteAccount(ctx context.Context, p *Principal, password, code Field) error {
	if err := s.recheckPassword(ctx, p, password, "Password is incorrect."); err != nil {
		return err
	}
	if err := s.StepUp(ctx, p, code); err != nil {
		return err
	}
	if err := s.o.Store.DeleteUser(ctx, p.User.ID); err != nil && !errors.Is(err, models.ErrNotFound) {
		return internal("delete account", err)
	}
	return nil
}
