package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// Wrong codes are guesses at the account like wrong passwords, so they
// spend the same per-account failure budget (5 a minute): otherwise each
// fresh mfa_token would buy five more guesses at the six digits.
func TestMFAWrongCodesSpendTheLoginBudget(t *testing.T) {
	t.Parallel()
	// alignedClock sits 13 s into a minute: mid TOTP step too.
	s := testserver.New(t, testserver.Options{Env: throttled(nil), Clock: alignedClock()})
	u := newMFAUser(t, s, "guessed")
	s.Clock.Advance(totpStep)
	tok := mfaLogin(t, s, pathToken, u.name, u.pw)
	for range 4 {
		wantError(t, finish(s, tok, u.wrong(t, s)), http.StatusUnauthorized, "mfa_invalid")
	}
	// The fifth failure is a wrong password.
	wantError(t, s.Post(pathToken, map[string]string{"username": u.name, "password": "not-the-Password-1"}),
		http.StatusUnauthorized, "no_active_account")
	r := s.Post(pathToken, map[string]string{"username": u.name, "password": u.pw})
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("right password after 4 wrong codes and a wrong password: %d %s, want 429", r.Status, r.Body)
	}
	assertThrottled(t, r, 17)
	// Nor can the live mfa_token go on guessing.
	if r := finish(s, tok, u.now(t, s)); r.Status != http.StatusTooManyRequests {
		t.Fatalf("token/mfa with the budget spent: %d %s, want 429", r.Status, r.Body)
	}
	// The window ends: the factor works again.
	s.Clock.Advance(47 * time.Second)
	pairOf(t, finish(s, mfaLogin(t, s, pathToken, u.name, u.pw), u.now(t, s)))
}
