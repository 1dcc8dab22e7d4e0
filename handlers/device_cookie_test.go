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
