package throttle

import (
	"net"
	"strings"
	"time"
)

// Rule is a limit of Limit events per Window.
type Rule struct {
	Limit  int64
	Window time.Duration
}

// Policy throttles one kind of request per client IP and, optionally, per a
// subject named in the request body (a username or an email address).
type Policy struct {
	// Name prefixes the counter keys. Endpoints that share a Name share
	// counters: the three login endpoints all use "login", so an attacker
	// cannot triple the guesses by taking turns between them.
	Name string
	// PerIP limits each client address (IPv6: each /64, the block one
	// subscriber usually holds). A zero Limit disables it. It is checked
	// before PerSubject, and a request it refuses touches no other counter.
	PerIP Rule
	// PerSubject limits each value of the body field Field, after Normalize.
	// A zero Limit disables it.
	PerSubject Rule
	Field      string
	Normalize  func(string) string
	// FailuresOnly counts only answers that are client errors (4xx but
	// 429): a successful login does not use up the budget of a user who
	// types the password right.
	FailuresOnly bool
}

// The service's policies. Defaults are per instance of the policy key, and
// documented in SECURITY.md.
var (
	// Login is failed logins on POST /api/auth/token/, /api-token-auth/ and
	// /api/accounts/login/: 10 a minute per IP. The per-account limit (5 a
	// minute) is the failure budget every password check of the account
	// shares, kept by the account service (see Budget).
	Login = Policy{
		Name:         "login",
		PerIP:        Rule{Limit: 10, Window: time.Minute},
		FailuresOnly: true,
	}
	// Register is every registration attempt: 20 an hour per IP. Taken
	// names answer "taken" (that cannot be hidden), so this also bounds how
	// fast names can be probed.
	Register = Policy{
		Name:  "register",
		PerIP: Rule{Limit: 20, Window: time.Hour},
	}
	// PasswordCheck is failed re-entries of the current password by an
	// authenticated client (password change, account deletion): 10 a minute
	// per IP, so a stolen access token or API key is no licence to guess
	// the password behind it without bound.
	PasswordCheck = Policy{
		Name:         "password_check",
		PerIP:        Rule{Limit: 10, Window: time.Minute},
		FailuresOnly: true,
	}
	// PasswordReset is every reset request: 10 an hour per IP and 3 an hour
	// per email address, so nobody's mailbox can be flooded.
	PasswordReset = Policy{
		Name:       "reset",
		PerIP:      Rule{Limit: 10, Window: time.Hour},
		PerSubject: Rule{Limit: 3, Window: time.Hour},
		Field:      "email",
		Normalize:  strings.ToLower,
	}
	// VerifyResend is every request for a new verification link: the same
	// limits as a reset request, counted apart so that one does not use up
	// the other.
	VerifyResend = Policy{
		Name:       "verify_resend",
		PerIP:      Rule{Limit: 10, Window: time.Hour},
		PerSubject: Rule{Limit: 3, Window: time.Hour},
		Field:      "email",
		Normalize:  strings.ToLower,
	}
)

// Counts reports whether an answer with this status uses up the budget.
func (p Policy) Counts(status int) bool {
	if status == 429 || status >= 500 {
		// Refused by us, or our failure: not the client's attempt.
		return false
	}
	if p.FailuresOnly {
		// A 403 on the policies that count failures (login, password
		// re-entry) is a right password that needs its second factor
		// (mfa_required): not a guess. Wrong codes are limited per
		// account by the failure budget instead (accounts/budget.go).
		return status >= 400 && status != 403
	}
	return true
}

// IPKey is the counter subject for a client address: the address itself, or
// for IPv6 its /64 network, since one host can use a whole /64.
func IPKey(ip string) string {
	a := net.ParseIP(ip)
	if a == nil {
		return ip
	}
	if a.To4() != nil {
		return a.To4().String()
	}
	return a.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
