package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// wantOwnEmail checks the address fields of an own-user answer; pending ""
// is null.
func wantOwnEmail(t *testing.T, r *testserver.Response, email string, verified bool, pending string) {
	t.Helper()
	m := r.JSON(t)
	var want any
	if pending != "" {
		want = pending
	}
	if _, has := m["pending_email"]; !has || m["email"] != email || m["email_verified"] != verified || m["pending_email"] != want {
		t.Fatalf("own user %s: want email %q verified %v pending %v", r.Body, email, verified, want)
	}
}

// Registering with an address mails a link to it (both register
// endpoints); the link verifies the address once. The address is shown
// as given, the token never reaches the log.
func TestEmailVerifyAfterRegistration(t *testing.T) {
	t.Parallel()
	for _, path := range []string{pathRegister, "/api/accounts/register/"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			e := newMailEnv(t, nil)
			r := e.srv.Post(path, map[string]string{"username": "ann", "email": "Ann@Example.test", "password": annPassword})
			wantStatus(t, r, http.StatusCreated)
			wantOwnEmail(t, r, "Ann@Example.test", false, "")
			msgs := e.mails(t)
			if len(msgs) != 1 {
				t.Fatalf("%d mails after registration, want the one link", len(msgs))
			}
			token := e.linkTo(t, nil, "Ann@Example.test")
			p := e.srv.Login("ann", annPassword)
			wantOwnEmail(t, profile(e.srv, p.Access), "Ann@Example.test", false, "")

			r = verifyEmail(e.srv, token)
			wantStatus(t, r, http.StatusOK)
			wantOwnEmail(t, r, "Ann@Example.test", true, "")
			if r.JSON(t)["username"] != "ann" {
				t.Fatalf("verify answered another user: %s", r.Body)
			}
			wantOwnEmail(t, profile(e.srv, p.Access), "Ann@Example.test", true, "")
			wantInvalidToken(t, verifyEmail(e.srv, token))
			if strings.Contains(e.log.String(), token) {
				t.Fatalf("the verification token reached the log")
			}
		})
	}
}

// No address, no link; with verification off, no link either and the
// address stays unverified (AUTH_EMAIL_VERIFICATION=off takes addresses as
// given, as before).
func TestEmailVerifyNoLinkWithoutAddressOrWhenOff(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"optional", "off"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newMailEnv(t, map[string]string{"AUTH_EMAIL_VERIFICATION": mode})
			e.srv.Register("noaddr", annPassword)
			r := e.srv.Post(pathRegister, map[string]string{"username": "ann", "email": "ann@example.test", "password": annPassword})
			wantStatus(t, r, http.StatusCreated)
			wantOwnEmail(t, r, "ann@example.test", false, "")
			wantStatus(t, e.srv.Post(pathEmailResend, map[string]string{"email": "ann@example.test"}), http.StatusAccepted)
			links := tokensTo(t, e.mails(t), "ann@example.test", verifyPage)
			want := map[string]int{"optional": 2, "off": 0}[mode] // registration and resend
			if len(links) != want || len(e.mails(t)) != want {
				t.Fatalf("%d links in %d mails, want %d", len(links), len(e.mails(t)), want)
			}
		})
	}
}

// A link is refused (400 token, nothing changes) when it is unknown, used,
// expired, or no longer about the account's address: the address it
// proves was replaced, removed or is no longer pending, or the account was
// deactivated.
func TestEmailVerifyRefusals(t *testing.T) {
	t.Parallel()
	const changed = "ann-new@example.test"
	// Each case registers ann (ann@example.test, unverified) and returns
	// the token to present.
	cases := []struct {
		name  string
		token func(t *testing.T, e *resetEnv) string
	}{
		{"unknown token", func(t *testing.T, e *resetEnv) string {
			return strings.Repeat("A", len(e.linkTo(t, nil, "ann@example.test")))
		}},
		{"overlong token", func(t *testing.T, e *resetEnv) string {
			return e.linkTo(t, nil, "ann@example.test") + strings.Repeat("A", 200)
		}},
		{"used twice", func(t *testing.T, e *resetEnv) string {
			tok := e.linkTo(t, nil, "ann@example.test")
			wantStatus(t, verifyEmail(e.srv, tok), http.StatusOK)
			return tok
		}},
		{"expired", func(t *testing.T, e *resetEnv) string {
			tok := e.linkTo(t, nil, "ann@example.test")
			e.srv.Clock.Advance(24*time.Hour + time.Second)
			return tok
		}},
		{"address changed since", func(t *testing.T, e *resetEnv) string {
			tok := e.linkTo(t, nil, "ann@example.test")
			before := e.mails(t)
			wantStatus(t, changeEmail(e.srv, e.srv.Login("ann", annPassword).Access, changed, annPassword), http.StatusOK)
			wantStatus(t, verifyEmail(e.srv, e.linkTo(t, before, changed)), http.StatusOK)
			return tok
		}},
		{"address removed", func(t *testing.T, e *resetEnv) string {
			tok := e.linkTo(t, nil, "ann@example.test")
			wantStatus(t, changeEmail(e.srv, e.srv.Login("ann", annPassword).Access, "", annPassword), http.StatusOK)
			return tok
		}},
		{"pending address replaced", func(t *testing.T, e *resetEnv) string {
			return pendingThen(t, e, changed, "ann-other@example.test")
		}},
		{"pending address dropped", func(t *testing.T, e *resetEnv) string {
			return pendingThen(t, e, changed, "")
		}},
		{"account deactivated", func(t *testing.T, e *resetEnv) string {
			tok := e.linkTo(t, nil, "ann@example.test")
			setFlags(t, e.srv, "ann", map[string]any{"is_active": false})
			return tok
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newMailEnv(t, nil)
			registerWithEmail(t, e.srv, "ann", "ann@example.test", annPassword)
			tok := tc.token(t, e)
			before := *user(t, e.srv, "ann")
			wantInvalidToken(t, verifyEmail(e.srv, tok))
			after := *user(t, e.srv, "ann")
			if after.Email != before.Email || after.EmailVerified != before.EmailVerified ||
				(after.PendingEmail == nil) != (before.PendingEmail == nil) {
				t.Fatalf("a refused link changed the user: %+v -> %+v", before, after)
			}
		})
	}
}

// pendingThen has ann ask to change to addr, then send next as her
// address; it returns the link mailed to addr.
func pendingThen(t *testing.T, e *resetEnv, addr, next string) string {
	t.Helper()
	access := e.srv.Login("ann", annPassword).Access
	before := e.mails(t)
	wantStatus(t, changeEmail(e.srv, access, addr, annPassword), http.StatusOK)
	tok := e.linkTo(t, before, addr)
	wantStatus(t, changeEmail(e.srv, access, next, annPassword), http.StatusOK)
	return tok
}

// The link works until its last second, and the body is checked like any
// other: a missing token is a field error.
func TestEmailVerifyLifetimeAndBody(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, nil)
	registerWithEmail(t, e.srv, "ann", "ann@example.test", annPassword)
	tok := e.linkTo(t, nil, "ann@example.test")
	wantField(t, e.srv.Post(pathEmailVerify, map[string]string{}), "token", "This field is required.")
	wantField(t, e.srv.Post(pathEmailVerify, map[string]string{"token": ""}), "token", "")
	e.srv.Clock.Advance(24*time.Hour - time.Second)
	wantOwnEmail(t, verifyEmail(e.srv, tok), "ann@example.test", true, "")
}
