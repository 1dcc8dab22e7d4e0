package accounts

import (
	"context"
	"errors"

	"authsvc/apierr"
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

// ProfileInput is a profile PATCH/PUT body. Fields not listed here (id,
// is_staff, is_active, date_joined, counts) cannot be set through it.
type ProfileInput struct {
	Username, Email, Bio, ProfilePicture Field
	Password, CurrentPassword            Field
	// Full is true for PUT: username is then required, as DRF requires
	// required fields on a full update.
	Full bool
}

// UpdateProfile applies in to the principal's own user.
func (s *Service) UpdateProfile(ctx context.Context, p *Principal, in ProfileInput) (*models.User, error) {
	return s.UpdateUser(ctx, p, &p.User, in)
}

// UpdateUser applies in to target on behalf of actor (the owner, or staff
// through the profiles endpoint). A password change is only allowed for the
// owner and needs current_password. An email change needs current_password
// too: the address is where reset links go, so whoever can change it can take
// the account, and an access token or API key alone (which may be stolen)
// must not be enough. current_password is always the password of the actor:
// the owner's own, or, for staff changing another user's address, the staff
// member's (they do not know the user's). Sending the address the user has
// now is not a change and needs nothing, so a client may PUT back what it read.
func (s *Service) UpdateUser(ctx context.Context, actor *Principal, target *models.User, in ProfileInput) (*models.User, error) {
	if err := mayManage(actor, target); err != nil {
		return nil, err
	}
	var v apierr.Validation
	cols := map[string]any{}
	if in.Full || in.Username.State != Missing {
		if name, ok := required(&v, "username", in.Username); ok {
			name = NormalizeUsername(name)
			if msg := usernameError(name); msg != "" {
				v.Add("username", msg)
			} else if name != target.Username {
				key := UsernameKey(name)
				taken, err := s.o.Store.UsernameKeyTaken(ctx, key, target.ID)
				if err != nil {
					return nil, internal("update profile", err)
				}
				if taken {
					v.Add("username", msgUsernameTaken)
				} else {
					cols["username"], cols["username_key"] = name, key
				}
			}
		}
	}
	emailChange := false
	if email, set, ok := optional(&v, "email", in.Email); set && ok && email != target.Email {
		emailChange = true
		switch {
		case email == "":
			cols["email"], cols["email_key"] = "", nil
		case emailError(email) != "":
			v.Add("email", emailError(email))
		default:
			taken, err := s.o.Store.EmailKeyTaken(ctx, emailKey(email), target.ID)
			if err != nil {
				return nil, internal("update profile", err)
			}
			if taken {
				v.Add("email", msgEmailTaken)
			} else {
				cols["email"], cols["email_key"] = email, emailKey(email)
			}
		}
	}
	if bio, set, ok := optional(&v, "bio", in.Bio); set && ok {
		if msg := bioError(bio); msg != "" {
			v.Add("bio", msg)
		} else {
			cols["bio"] = bio
		}
	}
	if pic, set, ok := optional(&v, "profile_picture", in.ProfilePicture); set && ok {
		switch {
		case pic == target.ProfilePicture:
			// Unchanged: a client that PUTs back what it read (the path of
			// an uploaded picture, which is not an absolute URL) must not fail.
		case pic != "" && pictureURLError(pic) != "":
			v.Add("profile_picture", pictureURLError(pic))
		default:
			cols["profile_picture"] = pic
		}
	}
	// The seed's serializer let a PATCH set the password (and the address)
	// with no check; a stolen access token must not be enough to take over
	// the account.
	var newPassword string
	passwordChange := in.Password.State != Missing
	var cur string
	curOK := false
	if passwordChange || emailChange {
		cur, curOK = required(&v, "current_password", in.CurrentPassword)
	}
	verify := emailChange
	if passwordChange {
		pw, pwOK := required(&v, "password", in.Password)
		if actor.User.ID != target.ID {
			v.Add("password", "Only the owner can change the password.")
		} else if pwOK && curOK {
			verify = true
			for _, msg := range s.o.Policy.Check(pw, target.Username, target.Email) {
				v.Add("password", msg)
			}
			newPassword = pw
		}
	}
	if verify && curOK {
		// The caller's own password, within the caller's failure budget.
		ok, err := s.checkPassword(ctx, &actor.User, cur)
		if err != nil {
			return nil, internal("verify password", err)
		}
		if !ok {
			v.Add("current_password", "Your current password was entered incorrectly.")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if newPassword != "" {
		// One transaction for the profile columns and the password: a
		// failure must not leave the address changed and the password not.
		if err := s.setPassword(ctx, target.ID, newPassword, cols, actor.SessionID, actor.APIKeyID, models.ReasonPasswordChange); err != nil {
			return nil, err
		}
	} else if err := s.o.Store.UpdateUser(ctx, target.ID, cols); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return nil, apierr.NotFound
		}
		return nil, takenError(err, "update profile")
	}
	u, err := s.o.Store.UserByID(ctx, target.ID)
	if err != nil {
		return nil, internal("reload user", err)
	}
	return u, nil
}

// DeleteAccount removes the principal's account after checking its password.
func (s *Service) DeleteAccount(ctx context.Context, p *Principal, password Field) error {
	var v apierr.Validation
	pw, ok := required(&v, "password", password)
	if !ok {
		return v.Err()
	}
	match, err := s.checkPassword(ctx, &p.User, pw)
	if err != nil {
		return internal("verify password", err)
	}
	if !match {
		return apierr.Field("password", "Password is incorrect.")
	}
	if err := s.o.Store.DeleteUser(ctx, p.User.ID); err != nil && !errors.Is(err, models.ErrNotFound) {
		return internal("delete account", err)
	}
	return nil
}
