package handlers_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"authsvc/internal/testserver"
	"authsvc/mail"
)

// An address change needs the password and waits for the new address's
// link: until then the old address stays (and gets reset links), the old
// address is told at once, and the link applies the change, which kills
// the reset links sent to the old address.
func TestEmailChangeWaitsForLink(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, nil)
	e.registerVerified(t, "ann", "ann@example.test", annPassword)
	access := e.srv.Login("ann", annPassword).Access
	resetToken := e.requestToken(t, "ann@example.test")

	before := e.mails(t)
	r := e.srv.Do(testserver.Request{Method: http.MethodPatch, Path: pathProfile, Bearer: access,
		JSON: map[string]any{"email": "ann-new@example.test"}})
	wantField(t, r, "current_password", "This field is required.")
	if len(e.mails(t)) != len(before) {
		t.Fatalf("a refused change sent mail")
	}
	wantAddress(t, e.srv, "ann", "ann@example.test", "")

	r = changeEmail(e.srv, access, "ann-new@example.test", annPassword)
	wantStatus(t, r, http.StatusOK)
	wantOwnEmail(t, r, "ann@example.test", true, "ann-new@example.test")
	wantOwnEmail(t, profile(e.srv, access), "ann@example.test", true, "ann-new@example.test")
	link := e.linkTo(t, before, "ann-new@example.test")
	notices := noticesTo(e.mails(t)[len(before):], "ann@example.test")
	if len(notices) != 1 || notices[0].Subject != noticeSubject(t, mail.KindEmailChangeRequested) {
		t.Fatalf("notices to the old address: %+v, want one email_change_requested", notices)
	}
	if n := len(e.mails(t)) - len(before); n != 2 {
		t.Fatalf("%d mails for the change, want the link and the notice", n)
	}
	// Until the link is used the old address is the account's: the reset
	// link mailed to it before still stands (checked below, once dead).
	wantAddress(t, e.srv, "ann", "ann@example.test", "ann-new@example.test")

	r = verifyEmail(e.srv, link)
	wantStatus(t, r, http.StatusOK)
	wantOwnEmail(t, r, "ann-new@example.test", true, "")
	wantAddress(t, e.srv, "ann", "ann-new@example.test", "")
	wantInvalidToken(t, confirm(e.srv, resetToken, newPassword))
	wantInvalidToken(t, verifyEmail(e.srv, link))
	e.srv.Login("ann", annPassword)
	// Reset now goes to the new address only.
	if tokens := tokensTo(t, e.mails(t), "ann@example.test", resetPage); len(tokens) != 1 {
		t.Fatalf("%d reset links to the old address, want only the one from before", len(tokens))
	}
	token := e.requestToken(t, "ann-new@example.test")
	wantStatus(t, confirm(e.srv, token, newPassword), http.StatusOK)
}

// Uniqueness is checked when the link is used, not at the PATCH: asking
// for an address another account has answers like any other change, and a
// link whose address another account has by then (it had it already, its
// own change landed first, or it registered with it) is refused with the
// usual uniqueness error (the one a duplicate registration gets), changing
// nothing.
func TestEmailChangeUniquenessAtConfirmation(t *testing.T) {
	t.Parallel()
	const shared = "Shared@Example.test"
	cases := []struct {
		name, addr string
		// takeFirst gives addr to another account after ann asked for it
		// and returns that account's name (nil: bob has it all along).
		takeFirst func(t *testing.T, e *resetEnv) string
	}{
		{"taken before the request", "BOB@example.test", nil},
		{"another account's change lands first", shared, func(t *testing.T, e *resetEnv) string {
			before := e.mails(t)
			wantStatus(t, changeEmail(e.srv, e.srv.Login("bob", annPassword).Access, shared, annPassword), http.StatusOK)
			wantStatus(t, verifyEmail(e.srv, e.linkTo(t, before, shared)), http.StatusOK)
			return "bob"
		}},
		{"another account registers with it", shared, func(t *testing.T, e *resetEnv) string {
			registerWithEmail(t, e.srv, "carl", shared, annPassword)
			return "carl"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newMailEnv(t, nil)
			e.registerVerified(t, "ann", "ann@example.test", annPassword)
			e.registerVerified(t, "bob", "bob@example.test", annPassword)
			usual := e.srv.Post(pathRegister, map[string]string{"username": "dup", "email": "BOB@example.test", "password": annPassword})
			wantField(t, usual, "email", "")

			ann := e.srv.Login("ann", annPassword).Access
			free := changeEmail(e.srv, ann, "free@example.test", annPassword)
			before := e.mails(t)
			r := changeEmail(e.srv, ann, tc.addr, annPassword)
			if r.Status != free.Status || !bytes.Equal(bytes.ReplaceAll(free.Body, []byte("free@example.test"), []byte(tc.addr)), r.Body) {
				t.Fatalf("asking for %s answers unlike a free address:\n%s\n%s", tc.addr, free.Body, r.Body)
			}
			link := e.linkTo(t, before, tc.addr)
			holder := "bob"
			if tc.takeFirst != nil {
				holder = tc.takeFirst(t, e)
			}
			had := user(t, e.srv, holder)
			wantJSON(t, verifyEmail(e.srv, link), usual.Status, string(usual.Body))
			wantAddress(t, e.srv, "ann", "ann@example.test", tc.addr)
			if !user(t, e.srv, "ann").EmailVerified {
				t.Fatalf("the refused link unverified ann's address")
			}
			if now := user(t, e.srv, holder); now.Email != had.Email || now.EmailVerified != had.EmailVerified {
				t.Fatalf("the refused link changed %s: %+v -> %+v", holder, had, now)
			}
		})
	}
}

// Sending the current address back cancels a pending change (its link
// dies); removing the address applies at once, and the address as it was
// is told (one notice, to it).
func TestEmailChangeCancelAndRemove(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, nil)
	e.registerVerified(t, "ann", "ann@example.test", annPassword)
	access := e.srv.Login("ann", annPassword).Access
	before := e.mails(t)
	wantStatus(t, changeEmail(e.srv, access, "ann-new@example.test", annPassword), http.StatusOK)
	link := e.linkTo(t, before, "ann-new@example.test")

	r := changeEmail(e.srv, access, "ann@example.test", annPassword)
	wantStatus(t, r, http.StatusOK)
	wantOwnEmail(t, r, "ann@example.test", true, "")
	wantAddress(t, e.srv, "ann", "ann@example.test", "")
	wantInvalidToken(t, verifyEmail(e.srv, link))

	before = e.mails(t)
	r = changeEmail(e.srv, access, "", annPassword)
	wantStatus(t, r, http.StatusOK)
	wantOwnEmail(t, r, "", false, "")
	after := e.mails(t)
	if n := len(after) - len(before); n != 1 || !strings.Contains(after[len(after)-1].To, "ann@example.test") {
		t.Fatalf("removing the address sent %d mails (want one notice to the old address): %+v", n, after[len(before):])
	}
}

// Staff changing another user's address: the same wait for the link (sent
// to the new address), the notice to the user's address, and the admin
// view shows the pending address.
func TestEmailChangeByStaff(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, nil)
	id := e.registerVerified(t, "ann", "ann@example.test", annPassword)
	boss, bossPW := newStaff(t, e.srv, "boss")
	before := e.mails(t)
	r := e.srv.Do(testserver.Request{Method: http.MethodPatch, Path: profileURL(id, ""), Bearer: boss.Access,
		JSON: map[string]any{"email": "ann-new@example.test", "current_password": bossPW}})
	wantStatus(t, r, http.StatusOK)
	link := e.linkTo(t, before, "ann-new@example.test")
	if n := noticesTo(e.mails(t)[len(before):], "ann@example.test"); len(n) != 1 {
		t.Fatalf("%d notices to ann's address, want 1", len(n))
	}
	a := e.srv.Do(testserver.Request{Method: http.MethodGet, Path: fmt.Sprintf("%s%d/", adminUsersPath, id), Bearer: boss.Access})
	wantOwnEmail(t, a, "ann@example.test", true, "ann-new@example.test")
	wantOwnEmail(t, verifyEmail(e.srv, link), "ann-new@example.test", true, "")
}
