package throttle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Budget is a failure budget over a Limiter: a check spends one unit before
// it runs (so concurrent guesses cannot all slip under the limit) and gets
// it back when it turns out right. Once the budget of a subject is spent,
// Spend refuses before the check runs and writes nothing.
//
// The service keeps three kinds (see SECURITY.md): "user", one budget per
// account shared by every endpoint that checks its password (login, password
// change, profile current_password, account deletion); "device", one per
// device cookie, the budget a browser that signed in before spends instead
// of the account's, so that an attacker who locks the account out does not
// lock its owner out; and "account_devices", one per account charged by
// every device-cookie failure as well, so that many cookies cannot multiply
// an account's guesses.
type Budget struct {
	Limiter Limiter
	// Now must be the clock the Limiter uses, so the retry delay counts to
	// the same window end.
	Now func() time.Time
	// Rules are the limits per kind; a kind without one is not limited.
	Rules map[string]Rule
	// OnRefused, when set, is told the kind of every refusal (metrics).
	OnRefused func(kind string)
}

// Spend takes one unit of subject's budget of the given kind. When the
// budget is spent it returns retryAfter > 0, the seconds until it refills,
// and counts nothing. Otherwise the caller runs its check and calls refund
// if the check passed (or did not happen): only failures stay counted.
func (b *Budget) Spend(ctx context.Context, kind, subject string) (refund func() error, retryAfter int, err error) {
	r, ok := b.Rules[kind]
	if !ok || r.Limit <= 0 {
		return noRefund, 0, nil
	}
	// Hashed: keys stay short, and the counter store holds no usernames.
	sum := sha256.Sum256([]byte(subject))
	key := "password:" + kind + ":" + hex.EncodeToString(sum[:16])
	h, err := b.Limiter.Take(ctx, key, r)
	if err != nil {
		return noRefund, 0, fmt.Errorf("password budget %s: %w", kind, err)
	}
	if h.Refused {
		if b.OnRefused != nil {
			b.OnRefused(kind)
		}
		return noRefund, RetryAfter(b.Now(), h.Reset), nil
	}
	// The client may have gone by the time the check ends; the counter
	// must still be corrected.
	undoCtx := context.WithoutCancel(ctx)
	return func() error {
		if err := b.Limiter.Undo(undoCtx, h); err != nil {
			return fmt.Errorf("password budget %s: refund: %w", kind, err)
		}
		return nil
	}, 0, nil
}

func noRefund() error { return nil }
