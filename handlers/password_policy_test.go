package handlers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

func register(s *testserver.Server, body map[string]string) *testserver.Response {
	return s.Post("/api/auth/register/", body)
}

func login(s *testserver.Server, user, pw string) int {
	return s.Post("/api/auth/token/", map[string]string{"username": user, "password": pw}).Status
}

func TestPasswordPolicyRules(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	for _, tc := range []struct {
		name, username, email, password, msg string
	}{
		{"control", "ctrl", "", "correct-Horse-77", ""},
		{"too short", "short", "", "Ab3#xyz", "This password is too short. It must contain at least 8 characters."},
		{"too short in characters, not bytes", "short2", "", "éééé", "This password is too short. It must contain at least 8 characters."},
		{"entirely numeric", "numeric", "", "80417263591", "This password is entirely numeric."},
		{"common", "common", "", "qwertyuiop", "This password is too common."},
		{"common, other case", "common2", "", "QwertyUiop", "This password is too common."},
		{"similar to username", "margaret", "", "Margaret1987", "The password is too similar to the username."},
		{"similar to email", "zelda", "zelda.hyrule@example.com", "Hyrule-2042x", "The password is too similar to the email address."},
		{"over 1024 bytes", "long", "", strings.Repeat("é", 513), "Ensure this field has no more than 1024 bytes."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]string{"username": tc.username, "password": tc.password}
			if tc.email != "" {
				body["email"] = tc.email
			}
			r := register(s, body)
			if tc.msg == "" {
				if r.Status != http.StatusCreated {
					t.Fatalf("control refused: %d %s", r.Status, r.Body)
				}
				return
			}
			if r.Status != http.StatusBadRequest {
				t.Fatalf("status %d %s", r.Status, r.Body)
			}
			msgs, _ := r.JSON(t)["password"].([]any)
			if !slices.Contains(msgs, any(tc.msg)) {
				t.Fatalf("password errors %v, want %q", msgs, tc.msg)
			}
		})
	}
}

// A 1024-byte password is stored whole: changing any one byte, even the last,
// fails the login (a hash that truncated, as bcrypt does at 72 bytes, would
// let it in).
func TestPasswordMaxLengthNotTruncated(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pw := strings.Repeat("Zq7#", 256)
	if len(pw) != 1024 {
		t.Fatal(len(pw))
	}
	if r := register(s, map[string]string{"username": "longpw", "password": pw}); r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	if st := login(s, "longpw", pw); st != http.StatusOK {
		t.Fatalf("login with the 1024-byte password: %d", st)
	}
	for _, i := range []int{0, 71, 72, 500, 1023} {
		b := []byte(pw)
		b[i] = '!'
		if st := login(s, "longpw", string(b)); st != http.StatusUnauthorized {
			t.Errorf("byte %d changed: login %d, want 401", i, st)
		}
	}
	if st := login(s, "longpw", pw[:1023]); st != http.StatusUnauthorized {
		t.Errorf("one byte shorter: login %d", st)
	}
	if st := s.Post("/api/auth/token/", map[string]string{"username": "longpw", "password": pw + "x"}).Status; st != http.StatusBadRequest {
		t.Errorf("1025 bytes at login: %d, want 400", st)
	}
}

func TestPasswordNULAndUnicode(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pw := "pass\x00wörd-🔑-Ωmega"
	if r := register(s, map[string]string{"username": "unicodepw", "password": pw}); r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	if st := login(s, "unicodepw", pw); st != http.StatusOK {
		t.Fatalf("login: %d", st)
	}
	for _, wrong := range []string{
		"pass",                       // cut at the NUL
		"passwörd-🔑-Ωmega",           // NUL dropped
		"pass\x00wo\u0308rd-🔑-Ωmega", // same text in NFD: passwords are not normalised
		"pass\x00WÖRD-🔑-Ωmega",       // case matters
	} {
		if st := login(s, "unicodepw", wrong); st != http.StatusUnauthorized {
			t.Errorf("%q: login %d, want 401", wrong, st)
		}
	}
	// Form bodies carry the NUL too.
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/token/",
		Body:        strings.NewReader("username=unicodepw&password=pass%00w%C3%B6rd-%F0%9F%94%91-%CE%A9mega"),
		ContentType: "application/x-www-form-urlencoded"})
	if r.Status != http.StatusOK {
		t.Fatalf("form login: %d %s", r.Status, r.Body)
	}
}

// Names that are the same after NFKC and case folding are one name.
func TestUsernameDuplicatesNFKCAndCase(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pw := "correct-Horse-77"
	for _, tc := range []struct{ first, dups string }{
		{"bob", "Bob BOB ｂｏｂ Ｂｏｂ"},
		{"ｆｉｌｅ", "file FILE ﬁle"},
		{"kelvin", "\u212Aelvin KELVIN"},
	} {
		r := register(s, map[string]string{"username": tc.first, "password": pw})
		if r.Status != http.StatusCreated {
			t.Fatalf("register %q: %d %s", tc.first, r.Status, r.Body)
		}
		stored := r.Str(t, "username")
		for _, dup := range strings.Fields(tc.dups) {
			r := register(s, map[string]string{"username": dup, "password": pw})
			msgs, _ := r.JSON(t)["username"].([]any)
			if r.Status != http.StatusBadRequest || !slices.Contains(msgs, any("A user with that username already exists.")) {
				t.Errorf("%q after %q: %d %s", dup, tc.first, r.Status, r.Body)
			}
			// Every spelling logs in to the one account.
			if st := login(s, dup, pw); st != http.StatusOK {
				t.Errorf("login as %q: %d", dup, st)
			}
		}
		if tc.first == "ｆｉｌｅ" && stored != "file" {
			t.Errorf("stored name %q, want the NFKC form \"file\"", stored)
		}
	}
}
