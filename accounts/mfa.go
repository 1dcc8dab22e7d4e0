package accounts

import (
	"context"
	"errors"
	"strconv"

	"authsvc/apierr"
	"authsvc/mail"
	"authsvc/mfa"
	"authsvc/models"
	"authsvc/sealing"
)

// MFAOptions configure the second factor.
type MFAOptions struct {
	// Issuer names the service in authenticator apps (otpauth URIs).
	Issuer string
	// Box seals TOTP secrets at rest (a key derived from AUTH_SECRET_KEY).
	Box *sealing.Box
	// Recovery hashes recovery codes (keyed likewise).
	Recovery mfa.RecoveryHasher
}

// MFAStatus is GET /api/auth/mfa/.
type MFAStatus struct {
	TOTP              bool  `json:"totp"`
	RecoveryCodesLeft int64 `json:"recovery_codes_left"`
	Passkeys          int64 `json:"passkeys"`
}

// MFAStatus reports p's factors.
func (s *Service) MFAStatus(ctx context.Context, p *Principal) (MFAStatus, error) {
	st, err := s.o.Store.MFAState(ctx, p.User.ID)
	if err != nil {
		return MFAStatus{}, internal("mfa status", err)
	}
	return MFAStatus{TOTP: st.Enabled, RecoveryCodesLeft: st.RecoveryLeft}, nil
}

// msgWrongPassword answers a wrong password on the factor endpoints.
const msgWrongPassword = "Your password was entered incorrectly."

// secretAD binds a sealed TOTP secret to its user: copied onto another
// user's row, it does not open.
func secretAD(userID int64) []byte { return []byte("totp:" + strconv.FormatInt(userID, 10)) }

// EnrolTOTP starts (or restarts) a TOTP enrolment after the password is
// re-entered. Nothing is enforced until ConfirmTOTP.
func (s *Service) EnrolTOTP(ctx context.Context, p *Principal, password Field) (mfa.Enrolment, error) {
	if err := s.recheckPassword(ctx, p, password, msgWrongPassword); err != nil {
		return mfa.Enrolment{}, err
	}
	e, err := mfa.NewEnrolment(s.o.MFA.Issuer, p.User.Username)
	if err != nil {
		return mfa.Enrolment{}, internal("enrol totp", err)
	}
	sealed := s.o.MFA.Box.Seal([]byte(e.Secret), secretAD(p.User.ID))
	err = s.o.Store.StartTOTP(ctx, p.User.ID, sealed, s.now())
	if errors.Is(err, models.ErrMFAEnabled) {
		return mfa.Enrolment{}, apierr.MFAEnabled
	}
	if err != nil {
		return mfa.Enrolment{}, internal("enrol totp", err)
	}
	return e, nil
}

// ConfirmTOTP turns the pending enrolment on with its first code and
// returns the recovery codes, shown this once. Every other session and API
// key of the user ends: whoever else held the password may hold one.
func (s *Service) ConfirmTOTP(ctx context.Context, p *Principal, code Field) ([]string, error) {
	var v apierr.Validation
	c, ok := required(&v, "code", code)
	if !ok {
		return nil, v.Err()
	}
	st, err := s.o.Store.MFAState(ctx, p.User.ID)
	if err != nil {
		return nil, internal("confirm totp", err)
	}
	if !st.Pending {
		return nil, apierr.MFANotPending
	}
	secret, err := s.openSecret(p.User.ID, st.Secret)
	if err != nil {
		return nil, err
	}
	refund, err := s.spend(ctx, BudgetUser, userSubject(p.User.ID))
	if err != nil {
		return nil, err
	}
	step, ok := mfa.MatchStep(secret, c, s.now(), st.LastStep)
	if !ok {
		return nil, apierr.MFAWrongCode
	}
	refund()
	codes := mfa.NewRecoveryCodes()
	err = s.o.Store.ConfirmTOTP(ctx, p.User.ID, st.Secret, step, s.hashCodes(p.User.ID, codes), p.SessionID, p.APIKeyID, s.now())
	if errors.Is(err, models.ErrMFAChanged) {
		// Replaced or confirmed by another request since it was read.
		return nil, apierr.MFANotPending
	}
	if err != nil {
		return nil, internal("confirm totp", err)
	}
	s.notify(ctx, &p.User, Notice{Kind: mail.KindMFAEnabled})
	return codes, nil
}

// DisableTOTP turns the factor off (its recovery codes go with it); it
// takes the password and a code.
func (s *Service) DisableTOTP(ctx context.Context, p *Principal, password, code Field) error {
	if err := s.changeFactor(ctx, p, password, code); err != nil {
		return err
	}
	removed, err := s.o.Store.RemoveMFA(ctx, p.User.ID, false, s.now())
	if err != nil {
		return internal("disable totp", err)
	}
	if removed { // not when a concurrent request turned it off first
		s.notify(ctx, &p.User, Notice{Kind: mail.KindMFADisabled})
	}
	return nil
}

// RegenerateRecoveryCodes replaces every recovery code of p with ten new
// ones; it takes the password and a code.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, p *Principal, password, code Field) ([]string, error) {
	if err := s.changeFactor(ctx, p, password, code); err != nil {
		return nil, err
	}
	codes := mfa.NewRecoveryCodes()
	err := s.o.Store.ReplaceRecoveryCodes(ctx, p.User.ID, s.hashCodes(p.User.ID, codes))
	if errors.Is(err, models.ErrNotFound) {
		return nil, apierr.MFANotEnabled // disabled by another request meanwhile
	}
	if err != nil {
		return nil, internal("regenerate recovery codes", err)
	}
	return codes, nil
}

// RemoveMFA is the staff action for a locked-out user: every factor goes
// and every session and API key of the user ends.
//
// Staff cannot use it on themselves (turning their own factor off takes
// the password and a code, DisableTOTP), nor, unless superusers, on a
// superuser (as for every other staff action, mayManage).
func (s *Service) RemoveMFA(ctx context.Context, actor *Principal, userID int64) error {
	target, err := s.o.Store.UserByID(ctx, userID)
	if errors.Is(err, models.ErrNotFound) {
		return apierr.NotFound
	}
	if err != nil {
		return internal("remove mfa", err)
	}
	if target.ID == actor.User.ID {
		return apierr.PermissionDenied
	}
	if err := mayManage(actor, target); err != nil {
		return err
	}
	removed, err := s.o.Store.RemoveMFA(ctx, userID, true, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return apierr.NotFound
	}
	if err != nil {
		return internal("remove mfa", err)
	}
	s.o.Log.WarnContext(ctx, "second factor removed by staff", "actor_id", actor.User.ID, "user_id", userID, "removed", removed)
	if removed {
		s.notify(ctx, target, Notice{Kind: mail.KindMFADisabled})
	}
	return nil
}

// changeFactor is the check before a factor changes: the factor is on, the
// password is re-entered, and a code is given.
func (s *Service) changeFactor(ctx context.Context, p *Principal, password, code Field) error {
	st, err := s.o.Store.MFAState(ctx, p.User.ID)
	if err != nil {
		return internal("mfa state", err)
	}
	if !st.Enabled {
		return apierr.MFANotEnabled
	}
	if err := s.recheckPassword(ctx, p, password, msgWrongPassword); err != nil {
		return err
	}
	return s.checkCode(ctx, p.User.ID, &st, code)
}

// recheckPassword checks the password a signed-in user re-entered (a
// factor change, account deletion); wrong is the field error's wording.
func (s *Service) recheckPassword(ctx context.Context, p *Principal, password Field, wrong string) error {
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
		return apierr.Field("password", wrong)
	}
	return nil
}

func (s *Service) hashCodes(userID int64, codes []string) []string {
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = s.o.MFA.Recovery.Hash(userID, c)
	}
	return hashes
}

// openSecret unseals a stored TOTP secret.
func (s *Service) openSecret(userID int64, sealed []byte) (string, error) {
	plain, err := s.o.MFA.Box.Open(sealed, secretAD(userID))
	if err != nil {
		return "", internal("open totp secret (is AUTH_SECRET_KEY the one it was sealed with?)", err)
	}
	return string(plain), nil
}
