package accounts

import (
	"context"

	"authsvc/apierr"
	"authsvc/mfa"
	"authsvc/models"
)

// StepUp is the second check of an account change (password change,
// account deletion, email change): with a factor on, code must be a good
// code, spent by this check; without one it asks nothing. Call it after the
// password was checked, so that a wrong password does not spend a code.
func (s *Service) StepUp(ctx context.Context, p *Principal, code Field) error {
	st, err := s.o.Store.MFAState(ctx, p.User.ID)
	if err != nil {
		return internal("mfa state", err)
	}
	if !st.Enabled {
		return nil
	}
	return s.checkCode(ctx, p.User.ID, &st, code)
}

// checkCode checks and spends code (TOTP or recovery) for a signed-in
// user, within the account's failure budget: a stolen access token must
// not be a way to guess codes without limit.
func (s *Service) checkCode(ctx context.Context, userID int64, st *models.MFAState, code Field) error {
	if code.State == NotString {
		return apierr.Field("code", "Not a valid string.") // as the login's second step answers it
	}
	if code.State != Present || code.Value == "" {
		return apierr.MFARequired
	}
	refund, err := s.spend(ctx, BudgetUser, userSubject(userID))
	if err != nil {
		return err
	}
	use, ok, err := s.matchFactor(ctx, userID, st, code.Value)
	if err != nil {
		refund()
		return err
	}
	if ok {
		if ok, err = s.spendFactor(ctx, userID, use); err != nil {
			refund()
			return err
		}
	}
	if !ok {
		return apierr.MFAWrongCode
	}
	refund()
	return nil
}

// matchFactor finds what code stands for (a TOTP step after the last one
// used, or an unused recovery code) without spending it.
func (s *Service) matchFactor(ctx context.Context, userID int64, st *models.MFAState, code string) (models.FactorUse, bool, error) {
	if mfa.IsTOTPCode(code) {
		secret, err := s.openSecret(userID, st.Secret)
		if err != nil {
			return models.FactorUse{}, false, err
		}
		step, ok := mfa.MatchStep(secret, code, s.now(), st.LastStep)
		return models.FactorUse{Step: step}, ok, nil
	}
	h := s.o.MFA.Recovery.Hash(userID, code)
	if h == "" {
		return models.FactorUse{}, false, nil
	}
	codes, err := s.o.Store.UnusedRecoveryCodes(ctx, userID)
	if err != nil {
		return models.FactorUse{}, false, internal("read recovery codes", err)
	}
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = c.CodeHash
	}
	if i := mfa.Match(hashes, h); i >= 0 {
		return models.FactorUse{RecoveryID: codes[i].ID}, true, nil
	}
	return models.FactorUse{}, false, nil
}

// spendFactor marks use spent: false when another request spent it first.
func (s *Service) spendFactor(ctx context.Context, userID int64, use models.FactorUse) (bool, error) {
	var ok bool
	var err error
	if use.RecoveryID != 0 {
		ok, err = s.o.Store.UseRecoveryCode(ctx, userID, use.RecoveryID, s.now())
	} else {
		ok, err = s.o.Store.UseTOTPStep(ctx, userID, use.Step)
	}
	if err != nil {
		return false, internal("spend second factor", err)
	}
	return ok, nil
}
