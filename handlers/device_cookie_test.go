package handlers_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

const deviceCookieName = "device"

// deviceCookie returns the device cookie a login answer set, or nil.
func deviceCookie(r *testserver.Response) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == deviceCookieName {
			return c
		}
	}
	return nil
}

// loginFrom is a login from client address ip (through the trusted proxy)
// carrying cookie, if any.
func loginFrom(s *testserver.Server, ip, user, pw string, cookie *http.Cookie) *testserver.Response {
	h := map[string]string{"X-Forwarded-For": ip}
	if cookie != nil {
		h["Cookie"] = cookie.Name + "=" + cookie.Value
	}
	return s.Do(testserver.Request{Method: http.MethodPost, Path: pathToken, Header: h,
		JSON: map[string]string{"username": user, "password": pw}})
}

// OWASP's device cookies: five bad guesses a minute lock a username out, but
// a browser that has signed in as that user before, holding the device cookie
// that sign-in set, still gets in with the right password. The cookie has its
// own failure budget, and the per-IP limit still applies.
func TestDeviceCookieLetsKnownDeviceThroughLockout(t *testing.T) {
	t.Parallel()
	for _, insecure := range []bool{false, true} {
		name := "secure"
		env := map[string]string{"AUTH_TRUSTED_PROXIES": "127.0.0.1,::1"}
		if insecure {
			name = "insecure"
			env["AUTH_COOKIE_INSECURE"] = "on"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t, testserver.Options{Env: throttled(env), Clock: alignedClock()})
			_, pw := s.NewUser("alice")
			s.NewUser("bob")
			const home, attacker, elsewhere = "192.0.2.10", "203.0.113.66", "198.51.100.5"

			r := loginFrom(s, home, "alice", pw, nil)
			wantStatus(t, r, http.StatusOK)
			dev := deviceCookie(r)
			if dev == nil {
				t.Fatalf("login set no %q cookie: %v", deviceCookieName, r.Header.Values("Set-Cookie"))
			}
			if !dev.HttpOnly || dev.Secure == insecure || dev.SameSite != http.SameSiteStrictMode ||
				dev.Path != "/api/auth/token" || dev.MaxAge <= 0 {
				t.Fatalf("device cookie attributes: %s", r.Header.Get("Set-Cookie"))
			}
			bobDev := deviceCookie(loginFrom(s, home, "bob", pw, nil))

			// The attacker locks alice out.
			for i := 0; i < 5; i++ {
				wantStatus(t, loginFrom(s, attacker, "alice", "wrong", nil), http.StatusUnauthorized)
			}
			for _, tc := range []struct {
				name   string
				cookie *http.Cookie
			}{
				{"no cookie (non-browser clients: as before)", nil},
				{"another user's cookie", bobDev},
				{"a forged cookie", &http.Cookie{Name: deviceCookieName, Value: dev.Value[:len(dev.Value)-2] + "AA"}},
				{"garbage", &http.Cookie{Name: deviceCookieName, Value: "x.y.z"}},
			} {
				if r := loginFrom(s, elsewhere, "alice", pw, tc.cookie); r.Status != http.StatusTooManyRequests {
					t.Fatalf("%s: %d %s, want 429", tc.name, r.Status, r.Body)
				}
			}
			// Alice's own browser gets in, and gets a fresh cookie.
			r = loginFrom(s, home, "alice", pw, dev)
			wantStatus(t, r, http.StatusOK)
			if d := deviceCookie(r); d == nil || d.Value == dev.Value {
				t.Fatalf("no fresh device cookie on success: %v", d)
			}
			// A device cookie that fails too often is locked out itself
			// (the stolen-cookie case), on the same 5-a-minute budget.
			for i := 0; i < 5; i++ {
				wantStatus(t, loginFrom(s, elsewhere, "alice", "wrong", dev), http.StatusUnauthorized)
			}
			assertThrottled(t, loginFrom(s, home, "alice", pw, dev), 47)
			// The per-IP limit still applies to a device: ten failures from one address.
			s.Clock.Advance(47 * time.Second)
			r = loginFrom(s, home, "alice", pw, dev)
			wantStatus(t, r, http.StatusOK)
			dev = deviceCookie(r)
			for i := 0; i < 10; i++ {
				wantStatus(t, loginFrom(s, home, fmt.Sprintf("nobody%d", i), "wrong", nil), http.StatusUnauthorized)
			}
			assertThrottled(t, loginFrom(s, home, "alice", pw, dev), 60)
		})
	}
}

// deviceEnv is a throttled server whose clients are told apart by address
// (through the trusted proxy), on the aligned clock, with password reset
// mail going to the outbox.
func deviceEnv(t *testing.T) *testserver.Server {
	t.Helper()
	return testserver.New(t, testserver.Options{Clock: alignedClock(), Env: throttled(map[string]string{
		"AUTH_TRUSTED_PROXIES": "127.0.0.1,::1",
		"AUTH_RESET_URL":       resetPage,
	})})
}

// signIn logs in from ip with no cookie and returns the device cookie the
// answer set.
func signIn(t *testing.T, s *testserver.Server, ip, user, pw string) *http.Cookie {
	t.Helper()
	r := loginFrom(s, ip, user, pw, nil)
	wantStatus(t, r, http.StatusOK)
	dev := deviceCookie(r)
	if dev == nil {
		t.Fatalf("login as %s set no %q cookie", user, deviceCookieName)
	}
	return dev
}

// A device cookie is earned by knowing the password and ends with it: after
// a password change or a reset, a cookie minted before is not honoured. The
// guesses it carries are charged to the account's budget as if it were not
// there, so the account locks after five of them, and the right new password
// with the old cookie is refused by that lock-out. (Before, the cookie kept
// its own budget: whoever had logged in N times while they knew the password
// kept N×5 guesses a minute at the new one, never touching the account's.)
// A cookie from a login with the new password works as before.
func TestDeviceCookieEndsWithThePassword(t *testing.T) {
	t.Parallel()
	const oldPW, newPW = "Old-pass-for-dev-9x", "Brand-new-dev-secret-77q"
	for _, change := range []struct {
		name string
		do   func(t *testing.T, s *testserver.Server, access string)
	}{
		{"password change", func(t *testing.T, s *testserver.Server, access string) {
			wantStatus(t, s.Do(testserver.Request{Method: http.MethodPost, Path: pathPassword, Bearer: access,
				Header: map[string]string{"X-Forwarded-For": "192.0.2.10"},
				JSON:   map[string]string{"old_password": oldPW, "new_password": newPW}}), http.StatusOK)
		}},
		{"reset", func(t *testing.T, s *testserver.Server, _ string) {
			wantStatus(t, confirm(s, outboxToken(t, s, "dev@example.test"), newPW), http.StatusOK)
		}},
	} {
		t.Run(change.name, func(t *testing.T) {
			t.Parallel()
			s := deviceEnv(t)
			const home, attacker, elsewhere = "192.0.2.10", "203.0.113.66", "198.51.100.5"
			registerWithEmail(t, s, "dev", "dev@example.test", oldPW)
			r := loginFrom(s, home, "dev", oldPW, nil)
			wantStatus(t, r, http.StatusOK)
			old := deviceCookie(r)
			access := r.Str(t, "access")

			change.do(t, s, access)

			for i := 0; i < 5; i++ {
				wantStatus(t, loginFrom(s, attacker, "dev", fmt.Sprintf("guess-%d", i), old), http.StatusUnauthorized)
			}
			// Those five were the account's: it is locked, for the old
			// cookie as for no cookie.
			assertThrottled(t, loginFrom(s, elsewhere, "dev", newPW, old), 47)
			assertThrottled(t, loginFrom(s, elsewhere, "dev", newPW, nil), 47)

			// A browser that signs in with the new password gets a cookie
			// that lets it through the lock-out.
			s.Clock.Advance(47 * time.Second)
			fresh := signIn(t, s, home, "dev", newPW)
			for i := 0; i < 5; i++ {
				wantStatus(t, loginFrom(s, attacker, "dev", fmt.Sprintf("again-%d", i), nil), http.StatusUnauthorized)
			}
			assertThrottled(t, loginFrom(s, elsewhere, "dev", newPW, old), 60)
			wantStatus(t, loginFrom(s, home, "dev", newPW, fresh), http.StatusOK)
		})
	}
}

// A device cookie belongs to the user, not to the name: after the account
// is renamed, or deleted, and someone else registers the name, the old
// cookie does not let its holder through the new holder's lock-out. The
// renamed account keeps its cookie under its new name.
func TestDeviceCookieBelongsToTheUserNotTheName(t *testing.T) {
	t.Parallel()
	const firstPW, nextPW = "First-holder-pass-31", "Next-holder-pass-77"
	for _, leave := range []struct {
		name string
		// do makes the name "owner" free, given the first owner's access
		// token; renamedTo is the account's new name, "" when it is gone.
		do        func(t *testing.T, s *testserver.Server, access string)
		renamedTo string
	}{
		{"renamed", func(t *testing.T, s *testserver.Server, access string) {
			wantStatus(t, s.Do(testserver.Request{Method: http.MethodPatch, Path: pathProfile, Bearer: access,
				JSON: map[string]string{"username": "owner2"}}), http.StatusOK)
		}, "owner2"},
		{"deleted", func(t *testing.T, s *testserver.Server, access string) {
			wantStatus(t, s.Do(testserver.Request{Method: http.MethodDelete, Path: pathProfile, Bearer: access,
				JSON: map[string]string{"password": firstPW}}), http.StatusNoContent)
		}, ""},
	} {
		t.Run(leave.name, func(t *testing.T) {
			t.Parallel()
			s := deviceEnv(t)
			const home, attacker, elsewhere = "192.0.2.10", "203.0.113.66", "198.51.100.5"
			s.Register("owner", firstPW)
			r := loginFrom(s, home, "owner", firstPW, nil)
			wantStatus(t, r, http.StatusOK)
			old := deviceCookie(r)

			leave.do(t, s, r.Str(t, "access"))
			s.Register("owner", nextPW)

			for i := 0; i < 5; i++ {
				wantStatus(t, loginFrom(s, attacker, "owner", fmt.Sprintf("guess-%d", i), nil), http.StatusUnauthorized)
			}
			assertThrottled(t, loginFrom(s, home, "owner", nextPW, old), 47)

			if leave.renamedTo != "" {
				for i := 0; i < 5; i++ {
					wantStatus(t, loginFrom(s, attacker, leave.renamedTo, fmt.Sprintf("guess-%d", i), nil), http.StatusUnauthorized)
				}
				assertThrottled(t, loginFrom(s, elsewhere, leave.renamedTo, firstPW, nil), 47)
				wantStatus(t, loginFrom(s, home, leave.renamedTo, firstPW, old), http.StatusOK)
			}
		})
	}
}

// Device cookies cannot multiply an account's guesses: each cookie has a
// budget of 5 failures a minute, but all of an account's cookies together
// are also charged to one device budget of the account, 4× the account
// budget (20 a minute). Six cookies give 20 failed guesses a minute, not 30;
// after that even the right password with a cookie that has not failed
// waits for the window (the account's own budget, untouched by the cookies,
// still lets a login without a cookie in).
func TestDeviceCookiesShareOneCapPerAccount(t *testing.T) {
	t.Parallel()
	s := deviceEnv(t)
	_, pw := s.NewUser("many")
	const cookies = 6
	devs := make([]*http.Cookie, cookies)
	for i := range devs {
		devs[i] = signIn(t, s, "192.0.2.10", "many", pw)
	}
	spare := signIn(t, s, "192.0.2.10", "many", pw)

	failed := 0
	for i, dev := range devs {
		// One address per cookie, so the per-IP limit (10) is not what stops it.
		ip := fmt.Sprintf("203.0.113.%d", 10+i)
		for j := 0; j < 5; j++ {
			r := loginFrom(s, ip, "many", fmt.Sprintf("guess-%d-%d", i, j), dev)
			switch r.Status {
			case http.StatusUnauthorized:
				failed++
			case http.StatusTooManyRequests:
			default:
				t.Fatalf("cookie %d guess %d: %d %s", i, j, r.Status, r.Body)
			}
		}
	}
	if failed != 20 {
		t.Fatalf("%d cookies got %d failed guesses in a minute, want the account's device cap of 20", cookies, failed)
	}
	assertThrottled(t, loginFrom(s, "198.51.100.5", "many", pw, spare), 47)
	wantStatus(t, loginFrom(s, "198.51.100.6", "many", pw, nil), http.StatusOK)
}
