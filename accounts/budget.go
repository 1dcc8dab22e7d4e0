package accounts

import (
	"context"
	"errors"
	"strconv"

	"authsvc/apierr"
	"authsvc/models"
	"authsvc/passwords"
)

// Kinds of failure budget (see FailureBudget).
const (
	// BudgetUser is one budget per account, shared by every endpoint that
	// checks its password: login (all three endpoints), password change,
	// profile current_password and account deletion. A username that
	// belongs to no account has its own, so that guessing at it looks the
	// same from outside.
	BudgetUser = "user"
	// BudgetDevice is one budget per device cookie: a login that carries a
	// valid device cookie of its user spends this one instead of the
	// account's, so a lock-out caused by someone else's guesses does not
	// lock out a browser that signed in before.
	BudgetDevice = "device"
)

// FailureBudget limits failed password checks (throttle.Budget implements
// it). Spend takes one unit before a check; retryAfter > 0 means the budget
// is spent (nothing was counted, the check must not run); otherwise refund
// gives the unit back when the check passed, so only failures stay counted.
type FailureBudget interface {
	Spend(ctx context.Context, kind, subject string) (refund func() error, retryAfter int, err error)
}

// spend takes one unit of a budget, or returns the 429 to answer. Without a
// budget (AUTH_THROTTLE=off) nothing is limited; when the counter store
// fails the check goes on, logged (fail open, as the route throttle does: a
// Redis outage must not lock every user out).
func (s *Service) spend(ctx context.Context, kind, subject string) (refund func(), err error) {
	if s.o.Budget == nil {
		return func() {}, nil
	}
	give, retry, err := s.o.Budget.Spend(ctx, kind, subject)
	if err != nil {
		s.o.Log.ErrorContext(ctx, "password budget unavailable, check not limited", "err", err)
		return func() {}, nil
	}
	if retry > 0 {
		return nil, apierr.Throttled(retry)
	}
	return func() {
		if err := give(); err != nil {
			s.o.Log.WarnContext(ctx, "password budget refund failed", "err", err)
		}
	}, nil
}

// userSubject keys an account's budget by id, not name: renaming the account
// must not give a guesser a fresh budget.
func userSubject(id int64) string { return "id:" + strconv.FormatInt(id, 10) }

// checkPassword verifies the password of a signed-in user (re-entered to
// change the password or delete the account) within the account's budget:
// once it is spent the answer is 429, before any check. Without it a stolen
// access token or API key would be an unlimited oracle for the password.
func (s *Service) checkPassword(ctx context.Context, u *models.User, password string) (bool, error) {
	refund, err := s.spend(ctx, BudgetUser, userSubject(u.ID))
	if err != nil {
		return false, err
	}
	ok, _, err := s.o.Hasher.Verify(ctx, password, u.PasswordHash)
	if errors.Is(err, passwords.ErrMalformedHash) {
		// An unusable stored password (Django's "!...", imported with the
		// account) matches nothing: a wrong password, not our failure.
		return false, nil
	}
	if ok || err != nil {
		// A right password, or our failure: not a guess that counts.
		refund()
	}
	return ok, err
}

// spendLogin takes the unit a login attempt for username spends before its
// check: the device cookie's budget when the request carries a valid device
// cookie of this username, else the account's (u nil: the unknown name's).
// u has been looked up already, so an attempt costs the same whether or not
// the name exists.
func (s *Service) spendLogin(ctx context.Context, u *models.User, username string) (refund func(), err error) {
	key := UsernameKey(username)
	if nonce, ok := s.deviceNonce(ctx, key); ok {
		return s.spend(ctx, BudgetDevice, nonce)
	}
	if u != nil {
		return s.spend(ctx, BudgetUser, userSubject(u.ID))
	}
	return s.spend(ctx, BudgetUser, "name:"+key)
}
