package handlers_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

// TestNullCharactersAndInvalidUTF8 pins the answer per field: a username
// with NUL is an invalid username, email and bio say DRF's "Null characters
// are not allowed.", a login name with NUL too (no user has one); a password
// may hold NUL (it is only hashed); invalid UTF-8 anywhere in a body is a
// parse error, as DRF's decoder raises.
func TestNullCharactersAndInvalidUTF8(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	pair := wantNullCharactersRefused(t, s)
	wantInvalidUTF8IsParseError(t, s)
	wantNumbersAndNestingRefused(t, s)

	// A search with NUL (dropped) or invalid UTF-8 (U+FFFD) is an ordinary
	// search, not a server error.
	for _, q := range []string{"%00", "null%FFuser", "%ED%A0%80"} {
		r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/accounts/profiles/?search=" + q, Bearer: pair.Access})
		wantStatus(t, r, http.StatusOK)
	}
}

// wantNullCharactersRefused checks NUL in the fields of a registration, a
// login and a profile update, and registers "nulluser" with a password
// that holds NUL; it returns that user's session.
func wantNullCharactersRefused(t *testing.T, s *testserver.Server) testserver.Pair {
	t.Helper()
	const badName = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
	reg := func(fields map[string]any) *testserver.Response {
		body := map[string]any{"username": "nulluser", "password": strongPassword}
		for k, v := range fields {
			body[k] = v
		}
		return s.Post(pathRegister, body)
	}
	wantField(t, reg(map[string]any{"username": "nul\x00user"}), "username", badName)
	wantField(t, reg(map[string]any{"email": "a\x00b@example.com"}), "email", "Null characters are not allowed.")
	wantField(t, reg(map[string]any{"bio": "hello\x00"}), "bio", "Null characters are not allowed.")
	// 150 characters whose case fold is 300 ("ß" folds to "ss"): too long
	// for the key column, which PostgreSQL enforces.
	wantField(t, reg(map[string]any{"username": strings.Repeat("ß", 150)}), "username", "Ensure this field has no more than 150 characters.")

	// A password with NUL: stored (hashed), and only the exact password logs in.
	const nulPW = "Tq9!vessel\x00orbit-lantern"
	wantStatus(t, reg(map[string]any{"password": nulPW}), http.StatusCreated)
	pair := s.Login("nulluser", nulPW)
	wantError(t, s.Post(pathToken, map[string]string{"username": "nulluser", "password": "Tq9!vessel"}), http.StatusUnauthorized, "no_active_account")
	wantError(t, s.Post(pathToken, map[string]string{"username": "nulluser", "password": "Tq9!vesselorbit-lantern"}), http.StatusUnauthorized, "no_active_account")
	wantField(t, s.Post(pathToken, map[string]string{"username": "nulluser\x00", "password": nulPW}), "username", "Null characters are not allowed.")
	wantField(t, s.Post(tokenAuthPath, map[string]string{"username": "\x00", "password": nulPW}), "username", "Null characters are not allowed.")

	patch := func(fields map[string]any) *testserver.Response {
		return s.Do(testserver.Request{Method: http.MethodPatch, Path: pathProfile, JSON: fields, Bearer: pair.Access})
	}
	wantField(t, patch(map[string]any{"username": "x\x00"}), "username", badName)
	wantField(t, patch(map[string]any{"email": "x@example.com\x00"}), "email", "Null characters are not allowed.")
	wantField(t, patch(map[string]any{"bio": "\x00"}), "bio", "Null characters are not allowed.")
	// Nothing was stored by the refused calls.
	if u := user(t, s, "nulluser"); u.Email != "" || u.Bio != "" {
		t.Fatalf("stored after refusals: email %q bio %q", u.Email, u.Bio)
	}
	return pair
}

// wantInvalidUTF8IsParseError: invalid UTF-8 is a parse error for JSON
// (Go's decoder would have made it U+FFFD), and for form and multipart
// text.
func wantInvalidUTF8IsParseError(t *testing.T, s *testserver.Server) {
	t.Helper()
	for name, req := range map[string]testserver.Request{
		"JSON string": {Body: strings.NewReader("{\"username\":\"nulluser\",\"password\":\"a\xffb\"}"), ContentType: "application/json"},
		"JSON key":    {Body: strings.NewReader("{\"user\xc3\":\"x\"}"), ContentType: "application/json"},
		"form value":  {Body: strings.NewReader("username=nulluser&password=a%FFb"), ContentType: "application/x-www-form-urlencoded"},
		"form key":    {Body: strings.NewReader("user%C0%AF=x&username=nulluser&password=x"), ContentType: "application/x-www-form-urlencoded"},
		"multipart part": func() testserver.Request {
			b, ct := multipartBody(map[string]string{"username": "nulluser", "password": "x"}, "password", "a\xffb")
			return testserver.Request{Body: b, ContentType: ct}
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			req.Method, req.Path = http.MethodPost, pathToken
			m := wantError(t, s.Do(req), http.StatusBadRequest, "parse_error")
			if d, _ := m["detail"].(string); !strings.Contains(d, "UTF-8") {
				t.Errorf("detail %q does not name the encoding", d)
			}
		})
	}
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: pathToken, Body: strings.NewReader("{\"username\":\"ab\xffcd\"}"), ContentType: "application/json"})
	if d := wantError(t, r, http.StatusBadRequest, "parse_error")["detail"]; d != "JSON parse error - invalid UTF-8 (at byte 15)" {
		t.Errorf("detail %q", d)
	}
}

// wantNumbersAndNestingRefused: numbers where a string belongs, however
// large, are "Not a valid string."; nesting past the decoder's depth limit
// is a parse error.
func wantNumbersAndNestingRefused(t *testing.T, s *testserver.Server) {
	t.Helper()
	for _, num := range []string{"1e999999", strings.Repeat("9", 5000), "-0.0e-99999"} {
		r := s.Do(testserver.Request{Method: http.MethodPost, Path: pathRegister, ContentType: "application/json",
			Body: strings.NewReader(`{"username":` + num + `,"password":"x"}`)})
		wantField(t, r, "username", "Not a valid string.")
	}
	for _, deep := range []string{strings.Repeat("[", 20000) + strings.Repeat("]", 20000), strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)} {
		r := s.Do(testserver.Request{Method: http.MethodPost, Path: pathRegister, ContentType: "application/json",
			Body: strings.NewReader(`{"username":` + deep + `,"password":"x"}`)})
		wantError(t, r, http.StatusBadRequest, "parse_error")
	}
}

// rawLogin sends a login with a User-Agent header holding bytes that Go's
// client refuses to send (NUL), over a plain connection.
func rawLogin(t *testing.T, s *testserver.Server, ua, username, password string) (int, string) {
	t.Helper()
	u, _ := url.Parse(s.URL)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, username, password)
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		pathToken, u.Host, ua, len(body), body)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestUserAgentStoredClean logs in with NUL and invalid UTF-8 in the
// User-Agent: the session is opened, and its user_agent is stored without
// the NUL and with U+FFFD for the invalid bytes.
func TestUserAgentStoredClean(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	_, pw := s.NewUser("uaclean")
	for _, c := range []struct{ sent, stored string }{
		{"curl/8\x00evil", "curl/8evil"},
		{"agent\xff\xfe/1", "agent\uFFFD/1"},
	} {
		status, body := rawLogin(t, s, c.sent, "uaclean", pw)
		if strings.Contains(c.sent, "\x00") && status == http.StatusBadRequest && !strings.HasPrefix(body, "{") {
			// Go's server refused the header itself (it rejects NUL in
			// header values): nothing reached the service.
			t.Logf("User-Agent %q refused by the HTTP server: %d", c.sent, status)
			continue
		}
		if status != http.StatusOK {
			t.Fatalf("login with User-Agent %q: %d %s", c.sent, status, body)
		}
		var access string
		if i := strings.Index(body, `"access":"`); i >= 0 {
			access = body[i+len(`"access":"`):]
			access = access[:strings.IndexByte(access, '"')]
		}
		found := false
		for _, m := range sessionsOf(t, s, access) {
			if m["current"] == true {
				found = true
				if m["user_agent"] != c.stored {
					t.Errorf("user_agent %q, want %q", m["user_agent"], c.stored)
				}
			}
		}
		if !found {
			t.Fatalf("no current session for %q", c.sent)
		}
	}
}
