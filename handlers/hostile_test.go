package handlers_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"authsvc/internal/testserver"
)

// hostileValue is one way to get a string the database cannot store into a
// field: PostgreSQL refuses NUL in text and invalid UTF-8 anywhere.
type hostileValue struct {
	name string
	// body encodes fields (every value a string) with value in place of
	// the field named bad, and returns the body and its Content-Type.
	body func(fields map[string]string, bad, value string) (io.Reader, string)
	// value is what replaces the field.
	value string
}

func jsonBody(fields map[string]string, bad, value string) (io.Reader, string) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for k, v := range fields {
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%q:", k)
		if k == bad {
			// Raw bytes inside the quotes: "\xff" stays an invalid byte,
			// and a NUL is sent as the escape \u0000 (a raw control byte
			// is a JSON syntax error, which is not what is tested here).
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(value, "\x00", `\u0000`))
			b.WriteByte('"')
			continue
		}
		fmt.Fprintf(&b, "%q", v)
	}
	b.WriteByte('}')
	return &b, "application/json"
}

// jsonRawBody puts value into the JSON body as it is, unquoted: numbers,
// nesting, literals.
func jsonRawBody(fields map[string]string, bad, value string) (io.Reader, string) {
	var b bytes.Buffer
	b.WriteByte('{')
	for k, v := range fields {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		if k == bad {
			fmt.Fprintf(&b, "%q:%s", k, value)
			continue
		}
		fmt.Fprintf(&b, "%q:%q", k, v)
	}
	b.WriteByte('}')
	return &b, "application/json"
}

func formBody(fields map[string]string, bad, value string) (io.Reader, string) {
	vals := url.Values{}
	for k, v := range fields {
		if k == bad {
			v = value
		}
		vals.Set(k, v)
	}
	return strings.NewReader(vals.Encode()), "application/x-www-form-urlencoded"
}

func multipartBody(fields map[string]string, bad, value string) (io.Reader, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if k == bad {
			v = value
		}
		_ = w.WriteField(k, v)
	}
	w.Close()
	return &b, w.FormDataContentType()
}

var hostileValues = []hostileValue{
	{"JSON NUL", jsonBody, "ab\x00cd"},
	{"JSON invalid UTF-8", jsonBody, "ab\xffcd"},
	{"JSON overlong UTF-8", jsonBody, "ab\xc0\xafcd"},
	{"form NUL", formBody, "ab\x00cd"},
	{"form invalid UTF-8", formBody, "ab\xffcd"},
	{"multipart NUL", multipartBody, "ab\x00cd"},
	{"multipart invalid UTF-8", multipartBody, "ab\xfe\xffcd"},
	{"huge exponent", jsonRawBody, "1e999999"},
	{"huge integer", jsonRawBody, strings.Repeat("9", 5000)},
	{"negative zero", jsonRawBody, "-0"},
	{"deep arrays", jsonRawBody, strings.Repeat("[", 20000) + strings.Repeat("]", 20000)},
	{"deep objects", jsonRawBody, strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)},
	{"object", jsonRawBody, `{"x":"y"}`},
	{"boolean", jsonRawBody, "true"},
	{"lone surrogate escape", jsonRawBody, `"\ud800x"`},
	{"escaped NUL only", jsonRawBody, `"\u0000"`},
}

// wantNo5xx fails on a server error or an answer that is not JSON.
func wantNo5xx(t *testing.T, r *testserver.Response) {
	t.Helper()
	if r.Status >= 500 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if len(r.Body) > 0 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d with Content-Type %q: %q", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
}

// TestHostileStringsNever5xx sends NUL bytes and invalid UTF-8 in every
// string field of every endpoint that reads a body, in JSON, form and
// multipart bodies. None may reach the database as a server error (on
// PostgreSQL an unguarded one is a 500), and every answer is JSON.
func TestHostileStringsNever5xx(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	staff, _ := newStaff(t, s, "hostilestaff")
	var n atomic.Int64
	fresh := func(t *testing.T) (name, pw string, p testserver.Pair) {
		name = fmt.Sprintf("hostile%d", n.Add(1))
		p, pw = s.NewUser(name)
		return name, pw, p
	}
	type endpoint struct {
		method, path string
		// setup returns the valid body, the bearer token and the path
		// for one request, using a fresh user where the call changes it.
		setup func(t *testing.T) (fields map[string]string, bearer, path string)
	}
	register := func(t *testing.T) (map[string]string, string, string) {
		name := fmt.Sprintf("newcomer%d", n.Add(1))
		return map[string]string{"username": name, "password": strongPassword, "email": name + "@example.com", "bio": "hi",
			"profile_picture": "https://example.com/a.png"}, "", ""
	}
	login := func(t *testing.T) (map[string]string, string, string) {
		name, pw, _ := fresh(t)
		return map[string]string{"username": name, "password": pw}, "", ""
	}
	tokenField := func(field string) func(t *testing.T) (map[string]string, string, string) {
		return func(t *testing.T) (map[string]string, string, string) {
			_, _, p := fresh(t)
			v := p.Refresh
			if field == "token" {
				v = p.Access
			}
			return map[string]string{field: v}, "", ""
		}
	}
	own := func(t *testing.T) (map[string]string, string, string) {
		name, pw, p := fresh(t)
		return map[string]string{"username": name + "x", "email": name + "@example.com", "bio": "b",
			"profile_picture": "https://example.com/b.png", "password": "N3w-" + strongPassword, "current_password": pw}, p.Access, ""
	}
	public := func(t *testing.T) (map[string]string, string, string) {
		name, _, p := fresh(t)
		id := int64(user(t, s, name).ID)
		return map[string]string{"username": name + "y", "email": name + "@example.org", "bio": "b"}, p.Access, fmt.Sprintf("/api/accounts/profiles/%d/", id)
	}
	admin := func(t *testing.T) (map[string]string, string, string) {
		name, _, _ := fresh(t)
		id := int64(user(t, s, name).ID)
		return map[string]string{"username": name + "z", "email": name + "@example.net", "bio": "b", "is_staff": "false", "is_active": "true"},
			staff.Access, fmt.Sprintf("/api/admin/users/%d/", id)
	}
	endpoints := []endpoint{
		{http.MethodPost, pathRegister, register},
		{http.MethodPost, accountsRegister, register},
		{http.MethodPost, pathToken, login},
		{http.MethodPost, "/api/accounts/login/", login},
		{http.MethodPost, tokenAuthPath, login},
		{http.MethodPost, pathRefresh, tokenField("refresh")},
		{http.MethodPost, pathVerify, tokenField("token")},
		{http.MethodPost, pathBlacklist, tokenField("refresh")},
		{http.MethodPost, pathLogout, tokenField("refresh")},
		{http.MethodPatch, pathProfile, own},
		{http.MethodPut, pathProfile, own},
		{http.MethodPatch, "", public},
		{http.MethodPatch, "", admin},
		{http.MethodPost, pathPassword, func(t *testing.T) (map[string]string, string, string) {
			_, pw, p := fresh(t)
			return map[string]string{"old_password": pw, "new_password": "N3w-" + strongPassword}, p.Access, ""
		}},
		{http.MethodDelete, pathProfile, func(t *testing.T) (map[string]string, string, string) {
			_, pw, p := fresh(t)
			return map[string]string{"password": pw}, p.Access, ""
		}},
		{http.MethodPost, "/api/auth/password/reset/", func(t *testing.T) (map[string]string, string, string) {
			name, _, _ := fresh(t)
			return map[string]string{"email": name + "@example.com"}, "", ""
		}},
		{http.MethodPost, "/api/auth/password/reset/confirm/", func(t *testing.T) (map[string]string, string, string) {
			return map[string]string{"token": "abc.def", "new_password": "N3w-" + strongPassword}, "", ""
		}},
	}
	wholeBodies := map[string]string{
		"deep arrays":         strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
		"deep objects":        strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000),
		"huge number":         "1e999999",
		"invalid UTF-8 key":   "{\"\xff\":\"a\"}",
		"invalid UTF-8 space": "{\"a\":\"b\"}\xff",
		"raw control byte":    "{\"username\":\"a\x00b\"}",
	}
	for _, ep := range endpoints {
		fields, _, path := ep.setup(t)
		if path == "" {
			path = ep.path
		}
		for name, raw := range wholeBodies {
			t.Run(fmt.Sprintf("%s %s %s", ep.method, path, name), func(t *testing.T) {
				_, bearer, p := ep.setup(t)
				if p == "" {
					p = ep.path
				}
				r := s.Do(testserver.Request{Method: ep.method, Path: p, Body: strings.NewReader(raw), ContentType: "application/json", Bearer: bearer})
				wantNo5xx(t, r)
				if r.Status < 400 {
					t.Fatalf("status %d for a body that is not an object of fields: %s", r.Status, r.Body)
				}
			})
		}
		for field := range fields {
			for _, hv := range hostileValues {
				t.Run(fmt.Sprintf("%s %s %s %s", ep.method, path, field, hv.name), func(t *testing.T) {
					fields, bearer, p := ep.setup(t)
					if p == "" {
						p = ep.path
					}
					body, ct := hv.body(fields, field, hv.value)
					wantNo5xx(t, s.Do(testserver.Request{Method: ep.method, Path: p, Body: body, ContentType: ct, Bearer: bearer}))
				})
			}
		}
	}
}

// TestHostileQueryPathHeader sends NUL and invalid UTF-8 in query strings,
// path parameters and the User-Agent header.
func TestHostileQueryPathHeader(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	staff, _ := newStaff(t, s, "qstaff")
	for _, bad := range []string{"%00", "a%00b", "%FF", "a%C0%AFb", "%ED%A0%80"} {
		for _, path := range []string{
			"/api/accounts/profiles/?search=" + bad,
			adminUsersPath + "?search=" + bad,
			adminUsersPath + "?page=" + bad,
			pathSessions + "?page_size=" + bad,
			"/api/accounts/profiles/" + bad + "/",
			adminUsersPath + bad + "/",
			"/media/profile_pictures/" + bad,
		} {
			t.Run("GET "+path, func(t *testing.T) {
				wantNo5xx(t, s.Do(testserver.Request{Method: http.MethodGet, Path: path, Bearer: staff.Access}))
			})
		}
		t.Run("DELETE session "+bad, func(t *testing.T) {
			r := s.Do(testserver.Request{Method: http.MethodDelete, Path: pathSessions + bad + "/", Bearer: staff.Access})
			wantNo5xx(t, r)
			wantStatus(t, r, http.StatusNotFound)
		})
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

// TestNullCharactersAndInvalidUTF8 pins the answer per field: a username
// with NUL is an invalid username, email and bio say DRF's "Null characters
// are not allowed.", a login name with NUL too (no user has one); a password
// may hold NUL (it is only hashed); invalid UTF-8 anywhere in a body is a
// parse error, as DRF's decoder raises.
func TestNullCharactersAndInvalidUTF8(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
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

	// Invalid UTF-8: a parse error for JSON (Go's decoder would have made it
	// U+FFFD), and for form and multipart text.
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

	// Numbers where a string belongs, however large, are "Not a valid
	// string."; nesting past the decoder's depth limit is a parse error.
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

	// A search with NUL (dropped) or invalid UTF-8 (U+FFFD) is an ordinary
	// search, not a server error.
	for _, q := range []string{"%00", "null%FFuser", "%ED%A0%80"} {
		r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/api/accounts/profiles/?search=" + q, Bearer: pair.Access})
		wantStatus(t, r, http.StatusOK)
	}
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
