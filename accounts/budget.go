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
	// BudgetAccountDevices is a second, larger budget per account that
	// every device-cookie failure is charged to as well (see spendLogin).
	// Each device cookie has a budget of its own, so without this one an
	// account's guesses would grow with the number of valid cookies: anyone
	// who logs in N times holds N cookies and N device budgets. With it,
	// the guesses through all of an account's cookies together are capped
	// at DeviceBudgetFactor times the account budget, in the same window.
	BudgetAccountDevices = "account_devices"
)

// DeviceBudgetFactor sizes BudgetAccountDevices against the account budget
// (AUTH_THROTTLE_PASSWORD, 5 a minute by default: 20 a minute). 4 leaves
// room for an owner's few browsers (a laptop, a phone, a work machine) each
// mistyping a few times while the account is under attack, and still caps
// what cookies can add to the account's own 5 at 20 guesses a minute.
// Reaching it takes valid cookies of the account's current credential
// version (device.go), which only a login with the current password gives.
const DeviceBudgetFactor = 4

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
// check. With a valid device cookie of u (at u's current credential
// version, device.go) that is one unit of the cookie's budget and one of the
// account's device budget (BudgetAccountDevices), not of the account's own:
// a lock-out by someone else's guesses does not lock the owner's browser
// out, and many cookies cannot add guesses beyond the device budget.
// Otherwise it is the account's (u nil: the unknown name's). u has been
// looked up already, so an attempt costs the same whether or not the name
// exists.
func (s *Service) spendLogin(ctx context.Context, u *models.User, username string) (refund func(), err error) {
	if nonce, ok := s.deviceNonce(ctx, u); ok {
		device, err := s.spend(ctx, BudgetDevice, nonce)
		if err != nil {
			return nil, err
		}
		account, err := s.spend(ctx, BudgetAccountDevices, userSubject(u.ID))
		if err != nil {
			// Refused: nothing is checked, so the cookie's unit goes back.
			device()
			return nil, err
		}
		return func() { device(); account() }, nil
	}
	if u != nil {
		return s.spend(ctx, BudgetUser, userSubject(u.ID))
	}
	return s.spend(ctx, BudgetUser, "name:"+UsernameKey(username))
}
