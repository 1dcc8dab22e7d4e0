package handlers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

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
