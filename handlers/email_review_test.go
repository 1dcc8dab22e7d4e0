package handlers_test

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"authsvc/internal/smtptest"
	"authsvc/internal/testserver"
)

const rvPW = "correct-Horse-battery-9"

func rvPatch(t *testing.T, s *testserver.Server, access string, body map[string]string) *testserver.Response {
	t.Helper()
	return s.Do(testserver.Request{Method: "PATCH", Path: "/api/auth/profile/", Bearer: access, JSON: body, NoContract: true})
}

// links returns all verification tokens mailed to `to`, oldest first (by name order is random; fine for count).
func rvLinks(t *testing.T, s *testserver.Server, to string) []string {
	t.Helper()
	flush(t, s)
	dir := filepath.Join(s.Dir, "data", "outbox")
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		raw, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		p := smtptest.Parse(t, raw)
		if !strings.Contains(p.Header.Get("To"), "<"+to+">") || !strings.Contains(p.Text, "/verify-email?token=") {
			continue
		}
		if m := tokenRE.FindStringSubmatch(p.Text); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

// Spec: "Setting it back to the current address clears pending_email."
// The stale link for the abandoned address must not apply afterwards.
func TestEmailReviewSetBackClearsPending(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	registerWithEmail(t, s, "ann", "ann@example.test", rvPW)
	pair := s.Login("ann", rvPW)
	if r := rvPatch(t, s, pair.Access, map[string]string{"email": "new@example.test", "current_password": rvPW}); r.Status != 200 {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	stale := rvLinks(t, s, "new@example.test")
	r := rvPatch(t, s, pair.Access, map[string]string{"email": "ann@example.test", "current_password": rvPW})
	if r.Status != 200 || r.JSON(t)["pending_email"] != nil {
		t.Errorf("set back: %d pending_email=%v, want null", r.Status, r.JSON(t)["pending_email"])
	}
	if r := s.Post("/api/auth/email/verify/", map[string]string{"token": stale[0]}); r.Status == 200 {
		t.Errorf("stale change link still applies after setting the address back: %s", r.Body)
	}
}

// Three links (any kind, even void ones) per user within a TTL: the 4th
// change request answers 200 pending but no link is ever sent.
func TestEmailReviewFourthChangeGetsNoLink(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	registerWithEmail(t, s, "bob", "bob@example.test", rvPW) // link #1 (registration)
	pair := s.Login("bob", rvPW)
	for _, a := range []string{"typo1@example.test", "typo2@example.test", "right@example.test"} {
		r := rvPatch(t, s, pair.Access, map[string]string{"email": a, "current_password": rvPW})
		if r.Status != 200 || r.JSON(t)["pending_email"] != a {
			t.Fatalf("change to %s: %d %s", a, r.Status, r.Body)
		}
	}
	if l := rvLinks(t, s, "right@example.test"); len(l) == 0 {
		t.Errorf("no link mailed to the pending address right@example.test (the void links to typo1/typo2 and the registration link use up maxLiveEmailTokens)")
	}
}

// A stranger fills the victim's link budget through resend, then the
// victim's own change request gets no link.
func TestEmailReviewResendStarvesChange(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	registerWithEmail(t, s, "cat", "cat@example.test", rvPW) // #1
	for i := 0; i < 2; i++ {                                 // #2, #3 (3/h per address allowed)
		if r := s.Post("/api/auth/email/verify/resend/", map[string]string{"email": "cat@example.test"}); r.Status != 202 {
			t.Fatal(r.Status)
		}
	}
	pair := s.Login("cat", rvPW)
	rvPatch(t, s, pair.Access, map[string]string{"email": "cat2@example.test", "current_password": rvPW})
	if l := rvLinks(t, s, "cat2@example.test"); len(l) == 0 {
		t.Errorf("change link never sent: resend by anyone used up the user's link budget")
	}
}

func TestEmailReviewBadInput(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	big := strings.Repeat("A", 1<<20)
	cases := []struct{ path, ct, body string }{
		{"/api/auth/email/verify/", "application/json", `{"token": 123}`},
		{"/api/auth/email/verify/", "application/json", `{"token": ["a"]}`},
		{"/api/auth/email/verify/", "application/json", `{"token": {"a":1}}`},
		{"/api/auth/email/verify/", "application/json", `{"token": null}`},
		{"/api/auth/email/verify/", "application/json", `{"token": "` + big + `"}`},
		{"/api/auth/email/verify/", "application/json", `{"token": "\u0000\ud800"}`},
		{"/api/auth/email/verify/", "application/json", `[1]`},
		{"/api/auth/email/verify/", "application/json", `"x"`},
		{"/api/auth/email/verify/", "application/x-www-form-urlencoded", `token=%zz`},
		{"/api/auth/email/verify/", "application/x-www-form-urlencoded", `token=a&token=b`},
		{"/api/auth/email/verify/", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nabc\r\n--x--\r\n"},
		{"/api/auth/email/verify/resend/", "application/json", `{"email": 5}`},
		{"/api/auth/email/verify/resend/", "application/json", `{"email": "` + big + `@x.test"}`},
		{"/api/auth/email/verify/resend/", "application/json", `{"email": "a\u0000@x.test"}`},
		{"/api/auth/email/verify/resend/", "application/x-www-form-urlencoded", `email=a%40x.test`},
		{"/api/auth/email/verify/resend/", "application/json", `{"email": "` + strings.Repeat("a", 300) + `@x.test"}`},
	}
	for _, c := range cases {
		r := s.Do(testserver.Request{Method: "POST", Path: c.path, Body: strings.NewReader(c.body), ContentType: c.ct, NoContract: true})
		b := string(r.Body)
		if len(b) > 150 {
			b = b[:150]
		}
		t.Logf("%s %.60s -> %d %s", c.path, c.body, r.Status, b)
		if r.Status >= 500 {
			t.Errorf("5xx for %.60s", c.body)
		}
	}
	_ = http.StatusOK
}

// A mail server that accepts connections and never answers: each delivery
// attempt hangs until AttemptTimeout (30 s). Meanwhile every successful
// login puts a noteSignIn job into the same bounded queue (256), even with
// AUTH_SECURITY_MAIL=off; once it is full, reset and verification mail is
// dropped.
func TestEmailReviewLoginsCrowdOutResetMail(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c // hold it open, say nothing
		}
	}()
	log := &testserver.LogBuffer{}
	s := testserver.New(t, testserver.Options{Log: log, Env: map[string]string{
		"AUTH_SMTP_URL": "smtp://" + ln.Addr().String(), "AUTH_SECURITY_MAIL": "off", "AUTH_SHUTDOWN_WAIT": "1s",
	}})
	registerWithEmail(t, s, "dan", "dan@example.test", rvPW) // its link occupies the worker
	s.Register("eve", rvPW)                                  // no address at all
	for i := 0; i < 260; i++ {
		if r := s.Post("/api/auth/token/", map[string]string{"username": "eve", "password": rvPW}); r.Status != 200 {
			t.Fatalf("login %d: %d", i, r.Status)
		}
	}
	if r := s.Post(resetPath, map[string]string{"email": "dan@example.test"}); r.Status != 202 {
		t.Fatal(r.Status)
	}
	time.Sleep(200 * time.Millisecond)
	if strings.Contains(log.String(), `"mail dropped: queue full","kind":"password_reset"`) {
		t.Errorf("reset mail dropped: the queue is full of new_device jobs of a user with no address and notices off")
	}
	t.Logf("dropped new_device jobs: %d", strings.Count(log.String(), `"kind":"new_device"`))
}

func TestEmailReviewTakenAtConfirmation(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	registerWithEmail(t, s, "fay", "fay@example.test", rvPW)
	registerWithEmail(t, s, "gus", "gus@example.test", rvPW)
	pf, pg := s.Login("fay", rvPW), s.Login("gus", rvPW)
	// both ask for the same new address; also a taken one
	rvPatch(t, s, pf.Access, map[string]string{"email": "X@example.test", "current_password": rvPW})
	rvPatch(t, s, pg.Access, map[string]string{"email": "x@example.test", "current_password": rvPW})
	lf, lg := rvLinks(t, s, "X@example.test"), rvLinks(t, s, "x@example.test")
	var wg sync.WaitGroup
	res := make([]*testserver.Response, 2)
	for i, tok := range []string{lf[0], lg[0]} {
		wg.Add(1)
		go func(i int, tok string) {
			defer wg.Done()
			res[i] = s.Post("/api/auth/email/verify/", map[string]string{"token": tok})
		}(i, tok)
	}
	wg.Wait()
	for _, r := range res {
		t.Logf("%d %s", r.Status, r.Body)
		if r.Status >= 500 {
			t.Errorf("5xx")
		}
	}
	rvPatch(t, s, pf.Access, map[string]string{"email": "gus@example.test", "current_password": rvPW})
	r := s.Post("/api/auth/email/verify/", map[string]string{"token": rvLinks(t, s, "gus@example.test")[0]})
	t.Logf("taken: %d %s", r.Status, r.Body)
}
