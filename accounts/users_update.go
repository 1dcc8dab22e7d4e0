package accounts

import (
	"context"
	"errors"

	"authsvc/apierr"
	"authsvc/mail"
	"authsvc/models"
)

// ProfileInput is a profile PATCH/PUT body. Fields not listed here (id,
// is_staff, is_active, date_joined, counts) cannot be set through it.
type ProfileInput struct {
	Username, Email, Bio, ProfilePicture Field
	Password, CurrentPassword            Field
	// Code is the actor's second factor, asked for (StepUp) with
	// current_password when the address or the password changes.
	Code Field
	// Full is true for PUT: username is then required, as DRF requires
	// required fields on a full update.
	Full bool
}

// UpdateProfile applies in to the principal's own user.
func (s *Service) UpdateProfile(ctx context.Context, p *Principal, in ProfileInput) (*models.User, error) {
	return s.UpdateUser(ctx, p, &p.User, in)
}

// userUpdate is one UpdateUser call on its way: who asks, for whom, the
// field errors found so far and the columns to write once there are none.
type userUpdate struct {
	actor  *Principal
	target *models.User
	v      apierr.Validation
	cols   map[string]any
	// pending is the address a change waits on (its link is mailed once
	// the update is written); removed says the address was removed.
	pending string
	removed bool
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
//
// Every field is checked (current_password last) before anything is
// written, so a request with any field error changes nothing.
func (s *Service) UpdateUser(ctx context.Context, actor *Principal, target *models.User, in ProfileInput) (*models.User, error) {
	if err := mayManage(actor, target); err != nil {
		return nil, err
	}
	up := &userUpdate{actor: actor, target: target, cols: map[string]any{}}
	if err := s.stageUsername(ctx, up, in); err != nil {
		return nil, err
	}
	emailChange, err := s.stageEmail(ctx, up, in.Email)
	if err != nil {
		return nil, err
	}
	up.stageBio(in.Bio)
	up.stagePicture(in.ProfilePicture)
	newPassword, err := s.stageCredentials(ctx, up, in, emailChange)
	if err != nil {
		return nil, err
	}
	if err := up.v.Err(); err != nil {
		return nil, err
	}
	if emailChange || newPassword != "" {
		if err := s.StepUp(ctx, actor, in.Code); err != nil {
			return nil, err
		}
	}
	if err := s.writeUserUpdate(ctx, up, newPassword); err != nil {
		return nil, err
	}
	u, err := s.o.Store.UserByID(ctx, target.ID)
	if err != nil {
		return nil, internal("reload user", err)
	}
	s.afterUpdate(ctx, target, u, up, newPassword != "")
	return u, nil
}

// stageUsername checks a new username (required on PUT) and that no other
// user has it.
func (s *Service) stageUsername(ctx context.Context, up *userUpdate, in ProfileInput) error {
	if !in.Full && in.Username.State == Missing {
		return nil
	}
	name, ok := required(&up.v, "username", in.Username)
	if !ok {
		return nil
	}
	name = NormalizeUsername(name)
	if msg := usernameError(name); msg != "" {
		up.v.Add("username", msg)
		return nil
	}
	if name == up.target.Username {
		return nil
	}
	key := UsernameKey(name)
	taken, err := s.o.Store.UsernameKeyTaken(ctx, key, up.target.ID)
	if err != nil {
		return internal("update profile", err)
	}
	if taken {
		up.v.Add("username", msgUsernameTaken)
	} else {
		up.cols["username"], up.cols["username_key"] = name, key
	}
	return nil
}

// stageEmail checks a new address and reports whether the address changes
// (which then needs current_password). With verification on, a new address
// waits for its link (pending_email); sending the current address cancels
// a pending change, and needs nothing: the notice of a change tells the
// owner to do just that.
func (s *Service) stageEmail(ctx context.Context, up *userUpdate, f Field) (bool, error) {
	email, set, ok := optional(&up.v, "email", f)
	if !set || !ok {
		return false, nil
	}
	same := email == up.target.Email || (email != "" && emailKey(email) == emailKey(up.target.Email))
	if same && up.target.PendingEmail != nil {
		up.cols["pending_email"] = nil
	}
	if email == up.target.Email {
		return false, nil
	}
	switch {
	case email == "":
		// Removing the address proves nothing: it applies at once (and
		// the address as it was is told).
		up.cols["email"], up.cols["email_key"] = "", nil
		up.cols["email_verified"], up.cols["pending_email"] = false, nil
		up.removed = true
	case emailError(email) != "":
		up.v.Add("email", emailError(email))
	case s.verifying() && emailKey(email) != emailKey(up.target.Email):
		// The address waits for its link (VerifyEmail). Whether another
		// account has it is answered then, not here, so that this
		// endpoint does not tell which addresses exist.
		up.cols["pending_email"] = email
		up.pending = email
	default:
		return true, s.stageImmediateEmail(ctx, up, email)
	}
	return true, nil
}

// stageImmediateEmail changes the address at once: verification off, or
// only its spelling changes.
func (s *Service) stageImmediateEmail(ctx context.Context, up *userUpdate, email string) error {
	taken, err := s.o.Store.EmailKeyTaken(ctx, emailKey(email), up.target.ID)
	if err != nil {
		return internal("update profile", err)
	}
	if taken {
		up.v.Add("email", msgEmailTaken)
		return nil
	}
	up.cols["email"], up.cols["email_key"], up.cols["pending_email"] = email, emailKey(email), nil
	if emailKey(email) != emailKey(up.target.Email) {
		up.cols["email_verified"] = false
	}
	return nil
}

func (up *userUpdate) stageBio(f Field) {
	bio, set, ok := optional(&up.v, "bio", f)
	if !set || !ok {
		return
	}
	if msg := bioError(bio); msg != "" {
		up.v.Add("bio", msg)
	} else {
		up.cols["bio"] = bio
	}
}

func (up *userUpdate) stagePicture(f Field) {
	pic, set, ok := optional(&up.v, "profile_picture", f)
	if !set || !ok {
		return
	}
	switch {
	case pic == up.target.ProfilePicture:
		// Unchanged: a client that PUTs back what it read (the path of
		// an uploaded picture, which is not an absolute URL) must not fail.
	case pic != "" && pictureURLError(pic) != "":
		up.v.Add("profile_picture", pictureURLError(pic))
	default:
		up.cols["profile_picture"] = pic
	}
}

// stageCredentials checks a new password and, when the password or the
// address changes, the actor's current password. It returns the new
// password once it may be set ("" for none).
//
// The seed's serializer let a PATCH set the password (and the address) with
// no check; a stolen access token must not be enough to take over the
// account.
func (s *Service) stageCredentials(ctx context.Context, up *userUpdate, in ProfileInput, emailChange bool) (string, error) {
	passwordChange := in.Password.State != Missing
	var cur string
	curOK := false
	if passwordChange || emailChange {
		cur, curOK = required(&up.v, "current_password", in.CurrentPassword)
	}
	verify := emailChange
	var newPassword string
	if passwordChange {
		pw, pwOK := required(&up.v, "password", in.Password)
		if up.actor.User.ID != up.target.ID {
			up.v.Add("password", "Only the owner can change the password.")
		} else if pwOK && curOK {
			verify = true
			for _, msg := range s.o.Policy.Check(pw, up.target.Username, up.target.Email) {
				up.v.Add("password", msg)
			}
			newPassword = pw
		}
	}
	if verify && curOK {
		// The caller's own password, within the caller's failure budget.
		ok, err := s.checkPassword(ctx, &up.actor.User, cur)
		if err != nil {
			return "", internal("verify password", err)
		}
		if !ok {
			up.v.Add("current_password", "Your current password was entered incorrectly.")
		}
	}
	return newPassword, nil
}

// afterUpdate mails what an update calls for: the link that applies a
// pending address (to that address), and the notices of an address change
// asked for or made, and of a new password, to the address as it was
// before the update (the one its owner reads; an attacker's new address
// must not be the only one told).
func (s *Service) afterUpdate(ctx context.Context, before, after *models.User, up *userUpdate, newPassword bool) {
	if up.pending != "" {
		s.sendVerification(ctx, after, up.pending, true)
	}
	if up.pending != "" || up.removed || before.Email != after.Email {
		newEmail := after.Email
		if up.pending != "" {
			newEmail = up.pending
		}
		s.notify(ctx, before, Notice{Kind: mail.KindEmailChangeRequested, NewEmail: newEmail})
	}
	if newPassword {
		s.notify(ctx, before, Notice{Kind: mail.KindPasswordChanged})
	}
}

// writeUserUpdate writes the staged columns, and the new password if there
// is one.
func (s *Service) writeUserUpdate(ctx context.Context, up *userUpdate, newPassword string) error {
	if newPassword != "" {
		// One transaction for the profile columns and the password: a
		// failure must not leave the address changed and the password not.
		return s.setPassword(ctx, up.target.ID, newPassword, up.cols, up.actor.SessionID, up.actor.APIKeyID, models.ReasonPasswordChange)
	}
	err := s.o.Store.UpdateUser(ctx, up.target.ID, up.cols)
	if errors.Is(err, models.ErrNotFound) {
		return apierr.NotFound
	}
	if err != nil {
		return takenError(err, "update profile")
	}
	return nil
}
