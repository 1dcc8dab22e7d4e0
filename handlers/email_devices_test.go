package handlers_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"authsvc/internal/testserver"
	"authsvc/mail"
)

// device is where a login comes from: a user agent and a client address
// (X-Forwarded-For, the test server trusting its loopback proxy).
type device struct{ ua, ip string }

func (d device) header() map[string]string {
	return map[string]string{"User-Agent": d.ua, "X-Forwarded-For": d.ip}
}

// signInFrom logs in on path from d and checks it succeeded (for a factor,
// the second step answers).
func signInFrom(t *testing.T, s *testserver.Server, path, username, password string, d device) *testserver.Response {
	t.Helper()
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: path, Header: d.header(),
		JSON: map[string]string{"username": username, "password": password}})
	wantStatus(t, r, http.StatusOK)
	return r
}

// newDeviceNotices counts the new_device notices to addr among mails.
func newDeviceNotices(t *testing.T, msgs []sentMail, addr string) int {
	t.Helper()
	n := 0
	for _, m := range noticesTo(msgs, addr) {
		if m.Subject == noticeSubject(t, mail.KindNewDevice) {
			n++
		}
	}
	return n
}

// A sign-in from a device (user agent and /24 network) not seen before for
// the user is mailed once, on every login endpoint; the first sign-in
// ever is not, nor a device seen before, nor another host of a known
// network, nor a refresh.
func TestNewDeviceNoticeOncePerDevice(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, map[string]string{"AUTH_TRUSTED_PROXIES": "127.0.0.1,::1"})
	e.registerVerified(t, "ann", "ann@example.test", annPassword)
	home, phone := device{"Firefox/140 (home)", "192.0.2.10"}, device{"Safari/18 (phone)", "192.0.2.10"}
	steps := []struct {
		name   string
		path   string
		from   device
		notice bool
	}{
		{"first sign-in ever", pathToken, home, false},
		{"the same device", pathToken, home, false},
		{"another host of the same /24", pathToken, device{home.ua, "192.0.2.200"}, false},
		{"another user agent", pathToken, phone, true},
		{"another network", pathToken, device{home.ua, "198.51.100.7"}, true},
		{"that network again", tokenAuthPath, device{home.ua, "198.51.100.9"}, false},
		{"API key login, new device", tokenAuthPath, device{"curl/8", "192.0.2.10"}, true},
		{"accounts login, new device", pathAccountLogin, device{"okhttp/4", "192.0.2.10"}, true},
		{"IPv6, new device", pathToken, device{home.ua, "2001:db8:1:2::1"}, true},
		{"IPv6, the same /48", pathToken, device{home.ua, "2001:db8:1:ffff::9"}, false},
	}
	for _, st := range steps {
		before := len(e.mails(t))
		signInFrom(t, e.srv, st.path, "ann", annPassword, st.from)
		want := map[bool]int{true: 1, false: 0}[st.notice]
		if n := newDeviceNotices(t, e.mails(t)[before:], "ann@example.test"); n != want {
			t.Fatalf("%s: %d new-device notices, want %d", st.name, n, want)
		}
	}
	before := len(e.mails(t))
	pair := signInFrom(t, e.srv, pathToken, "ann", annPassword, home)
	wantStatus(t, e.srv.Do(testserver.Request{Method: http.MethodPost, Path: pathRefresh, Header: device{"Other/1", "203.0.113.5"}.header(),
		JSON: map[string]string{"refresh": pair.Str(t, "refresh")}}), http.StatusOK)
	if n := newDeviceNotices(t, e.mails(t)[before:], "ann@example.test"); n != 0 {
		t.Fatalf("a refresh from elsewhere mailed %d new-device notices", n)
	}
}

// With a second factor, the device is noted when the sign-in completes
// (the second step), not at the password.
func TestNewDeviceNoticeAfterSecondFactor(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, map[string]string{"AUTH_TRUSTED_PROXIES": "127.0.0.1,::1"})
	s := e.srv
	e.registerVerified(t, "ann", "ann@example.test", annPassword)
	home := device{"Firefox/140 (home)", "192.0.2.10"}
	access := signInFrom(t, s, pathToken, "ann", annPassword, home).Str(t, "access")
	secret := enrol(t, s, access, annPassword)
	confirmTOTP(t, s, access, totpAt(t, secret, s.Clock.Now()))
	away := device{"Chrome/130 (hotel)", "203.0.113.50"}
	before := len(e.mails(t))
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: pathToken, Header: away.header(),
		JSON: map[string]string{"username": "ann", "password": annPassword}})
	tok := wantError(t, r, http.StatusForbidden, "mfa_required")["mfa_token"].(string)
	if n := newDeviceNotices(t, e.mails(t)[before:], "ann@example.test"); n != 0 {
		t.Fatalf("the password step mailed %d new-device notices", n)
	}
	s.Clock.Advance(totpStep)
	r = s.Do(testserver.Request{Method: http.MethodPost, Path: pathTokenMFA, Header: away.header(),
		JSON: map[string]string{"mfa_token": tok, "code": totpAt(t, secret, s.Clock.Now())}})
	wantStatus(t, r, http.StatusOK)
	if n := newDeviceNotices(t, e.mails(t)[before:], "ann@example.test"); n != 1 {
		t.Fatalf("the completed sign-in mailed %d new-device notices, want 1", n)
	}
}

// At most 20 devices are kept per user, the least recently seen dropped:
// the 21st new device pushes out the first, which is new again.
func TestNewDeviceMemoryIsBounded(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, map[string]string{"AUTH_TRUSTED_PROXIES": "127.0.0.1,::1"})
	e.registerVerified(t, "ann", "ann@example.test", annPassword)
	dev := func(i int) device { return device{fmt.Sprintf("Browser/%d", i), "192.0.2.10"} }
	for i := 0; i <= 20; i++ {
		e.srv.Clock.Advance(time.Second) // distinct last-seen times
		signInFrom(t, e.srv, pathToken, "ann", annPassword, dev(i))
	}
	if n := newDeviceNotices(t, e.mails(t), "ann@example.test"); n != 20 {
		t.Fatalf("%d new-device notices for 21 devices, want 20 (not the first sign-in)", n)
	}
	before := len(e.mails(t))
	e.srv.Clock.Advance(time.Second)
	signInFrom(t, e.srv, pathToken, "ann", annPassword, dev(20)) // still known
	signInFrom(t, e.srv, pathToken, "ann", annPassword, dev(0))  // dropped: new again
	if n := newDeviceNotices(t, e.mails(t)[before:], "ann@example.test"); n != 1 {
		t.Fatalf("%d new-device notices, want 1 (for the dropped device)", n)
	}
}
