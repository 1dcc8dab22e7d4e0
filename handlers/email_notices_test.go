package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"authsvc/internal/testserver"
	"authsvc/mail"
)

// noticeStep is one security event and the address its notice goes to.
type noticeStep struct {
	name, kind, to string
	do             func(t *testing.T)
}

// wantOneNotice runs step and checks it mailed exactly one notice, of its
// kind, to its address, and no notice elsewhere; the notice holds none of
// secrets.
func wantOneNotice(t *testing.T, e *resetEnv, step noticeStep, secrets []string) {
	t.Helper()
	before := len(e.mails(t))
	step.do(t)
	fresh := e.mails(t)[before:]
	all := noticesTo(fresh, step.to)
	var elsewhere int
	for _, m := range fresh {
		if !strings.Contains(m.Text, "token=") && !strings.EqualFold(m.To, step.to) {
			elsewhere++
		}
	}
	if len(all) != 1 || elsewhere != 0 {
		t.Fatalf("%s: %d notices to %s and %d elsewhere, want one", step.name, len(all), step.to, elsewhere)
	}
	if want := noticeSubject(t, step.kind); all[0].Subject != want {
		t.Fatalf("%s: notice %q, want %q (%s)", step.name, all[0].Subject, want, step.kind)
	}
	for _, s := range secrets {
		if s != "" && (strings.Contains(all[0].Text, s) || strings.Contains(all[0].HTML, s)) {
			t.Fatalf("%s: the notice holds a secret", step.name)
		}
	}
}

// Every security event mails its notice once: password changed (change,
// profile PATCH, reset), an address change asked for (to the old
// address), a second factor turned on, turned off by the user and removed
// by staff. No notice carries a password, a factor's secret or a code.
func TestSecurityNoticesOncePerEvent(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, nil)
	s := e.srv
	id := e.registerVerified(t, "ann", "ann@example.test", annPassword)
	boss, _ := newStaff(t, s, "boss")
	pws := []string{annPassword, "Second-pass-for-ann-5x", "Third-pass-for-ann-6y", newPassword}
	access := s.Login("ann", pws[0]).Access
	var secret string
	var codes []string
	enable := func(t *testing.T) {
		secret = enrol(t, s, access, pws[3])
		codes = confirmTOTP(t, s, access, totpAt(t, secret, s.Clock.Now()))
	}
	steps := []noticeStep{
		{"password change", mail.KindPasswordChanged, "ann@example.test", func(t *testing.T) {
			wantStatus(t, s.Do(testserver.Request{Method: http.MethodPost, Path: pathPassword, Bearer: access,
				JSON: map[string]string{"old_password": pws[0], "new_password": pws[1]}}), http.StatusOK)
		}},
		{"password in a profile PATCH", mail.KindPasswordChanged, "ann@example.test", func(t *testing.T) {
			wantStatus(t, s.Do(testserver.Request{Method: http.MethodPatch, Path: pathProfile, Bearer: access,
				JSON: map[string]string{"current_password": pws[1], "password": pws[2]}}), http.StatusOK)
		}},
		{"password reset", mail.KindPasswordChanged, "ann@example.test", func(t *testing.T) {
			token := e.requestToken(t, "ann@example.test")
			wantStatus(t, confirm(s, token, pws[3]), http.StatusOK)
			access = s.Login("ann", pws[3]).Access // the same device: no notice
		}},
		{"address change asked for", mail.KindEmailChangeRequested, "ann@example.test", func(t *testing.T) {
			before := e.mails(t)
			wantStatus(t, changeEmail(s, access, "ann-new@example.test", pws[3]), http.StatusOK)
			wantStatus(t, verifyEmail(s, e.linkTo(t, before, "ann-new@example.test")), http.StatusOK)
		}},
		{"factor turned on", mail.KindMFAEnabled, "ann-new@example.test", enable},
		{"factor turned off", mail.KindMFADisabled, "ann-new@example.test", func(t *testing.T) {
			s.Clock.Advance(totpStep)
			wantStatus(t, s.Do(testserver.Request{Method: http.MethodDelete, Path: pathTOTP, Bearer: access,
				JSON: map[string]string{"password": pws[3], "code": totpAt(t, secret, s.Clock.Now())}}), http.StatusNoContent)
		}},
		{"factor turned on again", mail.KindMFAEnabled, "ann-new@example.test", enable},
		{"factor removed by staff", mail.KindMFADisabled, "ann-new@example.test", func(t *testing.T) {
			wantStatus(t, s.Do(testserver.Request{Method: http.MethodDelete, Path: adminMFAPath(id), Bearer: boss.Access}),
				http.StatusNoContent)
		}},
	}
	for _, step := range steps {
		wantOneNotice(t, e, step, append(append([]string{secret}, pws...), codes...))
	}
}

// AUTH_SECURITY_MAIL=off sends no notice (links still go out); an account
// without an address gets none either.
func TestSecurityNoticesOffOrNoAddress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, securityMail, email string
	}{{"notices off", "off", "ann@example.test"}, {"no address", "on", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newMailEnv(t, map[string]string{"AUTH_SECURITY_MAIL": tc.securityMail})
			wantStatus(t, e.srv.Post(pathRegister, map[string]string{"username": "ann", "email": tc.email, "password": annPassword}),
				http.StatusCreated)
			access := e.srv.Login("ann", annPassword).Access
			before := e.mails(t)
			wantStatus(t, e.srv.Do(testserver.Request{Method: http.MethodPost, Path: pathPassword, Bearer: access,
				JSON: map[string]string{"old_password": annPassword, "new_password": newPassword}}), http.StatusOK)
			wantStatus(t, changeEmail(e.srv, access, "ann-new@example.test", newPassword), http.StatusOK)
			secret := enrol(t, e.srv, access, newPassword)
			confirmTOTP(t, e.srv, access, totpAt(t, secret, e.srv.Clock.Now()))
			// Only the change's link, to the new address.
			fresh := e.mails(t)[len(before):]
			if len(fresh) != 1 || len(tokensTo(t, fresh, "ann-new@example.test", verifyPage)) != 1 {
				t.Fatalf("%d mails, want only the change's link: %+v", len(fresh), fresh)
			}
			if tc.email != "" && len(tokensTo(t, before, tc.email, verifyPage)) != 1 {
				t.Fatalf("no verification link with notices off")
			}
		})
	}
}
