package handlers_test

import (
	"context"
	"fmt"
	"sync"
	"net"
	"time"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	s.Register("eve", rvPW)                                   // no address at all
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
		go func(i int, tok string) { defer wg.Done(); res[i] = s.Post("/api/auth/email/verify/", map[string]string{"token": tok}) }(i, tok)
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

// Required mode: /api/accounts/register/ hands out a working API key to an
// account whose address nobody has proven.
func TestEmailReviewRequiredAccountsRegisterKey(t *testing.T) {
	s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_EMAIL_VERIFICATION": "required"}})
	r := s.Do(testserver.Request{Method: "POST", Path: "/api/accounts/register/", NoContract: true,
		JSON: map[string]string{"username": "sq", "password": rvPW, "email": "someone-else@example.test"}})
	t.Logf("register: %d %.200s", r.Status, r.Body)
	key, _ := r.JSON(t)["token"].(string)
	if key == "" {
		return
	}
	p := s.Do(testserver.Request{Method: "GET", Path: "/api/auth/profile/", Token: key, NoContract: true})
	if p.Status == 200 {
		t.Errorf("required mode: unverified account got a working key from /api/accounts/register/: %s", p.Body)
	}
}

// The notice tells the victim: change your password and set the address
// back, "which cancels the change". Neither voids the attacker's link.
func TestEmailReviewNoticeRemedyDoesNotCancel(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	registerWithEmail(t, s, "vic", "vic@example.test", rvPW)
	att := s.Login("vic", rvPW) // attacker knows the password (phished)
	rvPatch(t, s, att.Access, map[string]string{"email": "evil@attacker.test", "current_password": rvPW})
	link := rvLinks(t, s, "evil@attacker.test")[0]
	// victim follows the notice
	v := s.Login("vic", rvPW)
	const pw2 = "another-Horse-battery-77"
	if r := s.Do(testserver.Request{Method: "POST", Path: "/api/auth/password/change/", Bearer: v.Access, NoContract: true,
		JSON: map[string]string{"old_password": rvPW, "current_password": rvPW, "new_password": pw2, "password": pw2}}); r.Status >= 300 {
		t.Fatalf("password change: %d %s", r.Status, r.Body)
	}
	v = s.Login("vic", pw2)
	if r := rvPatch(t, s, v.Access, map[string]string{"email": "vic@example.test", "current_password": pw2}); r.Status != 200 {
		t.Fatalf("set back: %d %s", r.Status, r.Body)
	}
	r := s.Post("/api/auth/email/verify/", map[string]string{"token": link})
	if r.Status == 200 {
		t.Errorf("attacker's link applied after the victim changed password and set the address back: %s", r.Body)
		if rr := s.Post(resetPath, map[string]string{"email": "evil@attacker.test"}); rr.Status == 202 {
			flush(t, s)
			t.Logf("reset requested for evil@attacker.test -> reset link now goes to the attacker")
		}
	}
}

// Staff DELETE /api/admin/users/{id}/mfa on a user with no factor still
// mails "Two-step verification was turned off".
func TestEmailReviewStaffRemoveMFANoFactorNotice(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	if _, err := s.App.Accounts.CreateSuperuser(context.Background(), "boss", "boss@example.test", rvPW); err != nil {
		t.Fatal(err)
	}
	id := registerWithEmail(t, s, "plain", "plain@example.test", rvPW)
	b := s.Login("boss", rvPW)
	for i := 0; i < 2; i++ {
		r := s.Do(testserver.Request{Method: "DELETE", Path: fmt.Sprintf("/api/admin/users/%d/mfa/", id), Bearer: b.Access, NoContract: true})
		t.Logf("delete mfa: %d %s", r.Status, r.Body)
	}
	flush(t, s)
	n := 0
	dir := filepath.Join(s.Dir, "data", "outbox")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		raw, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if strings.Contains(string(raw), "Two-step verification was turned off") && strings.Contains(string(raw), "plain@example.test") {
			n++
		}
	}
	if n != 0 {
		t.Errorf("%d mfa_disabled notices to a user who never had a factor", n)
	}
}

// Removing the address (immediate) mails nobody; with a password change in
// the same PATCH, the password notice is lost too.
func TestEmailReviewRemoveEmailNoNotice(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	registerWithEmail(t, s, "rem", "rem@example.test", rvPW)
	a := s.Login("rem", rvPW)
	const pw2 = "another-Horse-battery-77"
	if r := rvPatch(t, s, a.Access, map[string]string{"email": "", "password": pw2, "current_password": rvPW}); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	flush(t, s)
	n := 0
	entries, _ := os.ReadDir(filepath.Join(s.Dir, "data", "outbox"))
	for _, e := range entries {
		raw, _ := os.ReadFile(filepath.Join(s.Dir, "data", "outbox", e.Name()))
		if !strings.Contains(string(raw), "verify-email?token") {
			n++
		}
	}
	if n == 0 {
		t.Errorf("address removed and password changed in one PATCH: no notice at all to rem@example.test")
	}
}

func TestEmailReviewDoubleConfirm(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	registerWithEmail(t, s, "dbl", "dbl@example.test", rvPW)
	a := s.Login("dbl", rvPW)
	rvPatch(t, s, a.Access, map[string]string{"email": "dbl2@example.test", "current_password": rvPW})
	tok := rvLinks(t, s, "dbl2@example.test")[0]
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var r *testserver.Response
			if i%3 == 0 {
				r = rvPatch(t, s, a.Access, map[string]string{"email": fmt.Sprintf("o%d@example.test", i), "current_password": rvPW})
				r.Status += 1000
			} else {
				r = s.Post("/api/auth/email/verify/", map[string]string{"token": tok})
			}
			mu.Lock()
			codes[r.Status]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	t.Logf("%v", codes)
	if codes[200] > 1 || codes[500] > 0 || codes[1500] > 0 || codes[503] > 0 {
		t.Errorf("bad: %v", codes)
	}
}

func TestEmailReviewOffModeStalePending(t *testing.T) {
	dir := t.TempDir()
	s := testserver.New(t, testserver.Options{Dir: dir})
	registerWithEmail(t, s, "sw", "sw@example.test", rvPW)
	a := s.Login("sw", rvPW)
	rvPatch(t, s, a.Access, map[string]string{"email": "b@example.test", "current_password": rvPW})
	tok := rvLinks(t, s, "b@example.test")[0]
	s.Close()
	s2 := testserver.New(t, testserver.Options{Dir: dir, Env: map[string]string{"AUTH_EMAIL_VERIFICATION": "off"}})
	a = s2.Login("sw", rvPW)
	r := rvPatch(t, s2, a.Access, map[string]string{"email": "c@example.test", "current_password": rvPW})
	t.Logf("off change: %s", r.Body)
	if r := s2.Post("/api/auth/email/verify/", map[string]string{"token": tok}); r.Status == 200 {
		t.Errorf("off mode: older link to b@ overrides the newer immediate change to c@: %s", r.Body)
	}
}

func TestEmailReviewNewDevice(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	registerWithEmail(t, s, "nd", "nd@example.test", rvPW)
	login := func(ua string) {
		s.Clock.Advance(time.Second)
		r := s.Do(testserver.Request{Method: "POST", Path: "/api/auth/token/", Header: map[string]string{"User-Agent": ua}, JSON: map[string]string{"username": "nd", "password": rvPW}})
		if r.Status != 200 {
			t.Fatal(r.Status)
		}
	}
	count := func() int {
		flush(t, s)
		flush(t, s)
		n := 0
		entries, _ := os.ReadDir(filepath.Join(s.Dir, "data", "outbox"))
		for _, e := range entries {
			raw, _ := os.ReadFile(filepath.Join(s.Dir, "data", "outbox", e.Name()))
			if strings.Contains(string(raw), "New sign-in") {
				n++
			}
		}
		return n
	}
	login("A")
	login("A")
	c1 := count()
	login("B")
	login("B")
	c2 := count()
	for i := 0; i < 21; i++ {
		login(fmt.Sprintf("X%d", i))
	}
	login("B") // B was evicted? 21 newer ones -> yes
	c3 := count()
	t.Logf("after first device: %d, after B twice: %d, after 21 more + B: %d", c1, c2, c3)
	if c1 != 0 || c2 != 1 || c3 != 23 {
		t.Errorf("unexpected counts")
	}
}
