package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

func TestAPITokenAuthObtain(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	_, pw := s.NewUser("alice")
	_, bobPW := s.NewUser("bob")
	setFlags(t, s, "bob", map[string]any{"is_active": false})

	key := obtainKey(t, s, "alice", pw)
	if again := obtainKey(t, s, "ALICE", pw); again == key {
		t.Fatal("two logins returned the same key")
	}
	if u := user(t, s, "alice"); u.LastLogin == nil {
		t.Fatal("obtaining a key did not record last_login")
	}

	form := url.Values{"username": {"alice"}, "password": {pw}}.Encode()
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: "/api-token-auth", Body: strings.NewReader(form),
		ContentType: "application/x-www-form-urlencoded"})
	if r.Status != http.StatusOK || len(r.Str(t, "token")) < 43 {
		t.Fatalf("form login without slash: %d %s", r.Status, r.Body)
	}

	for _, tc := range []struct {
		name, want string
		body       map[string]string
	}{
		{"wrong password", bodyBadLogin, map[string]string{"username": "alice", "password": "nope-nope-nope"}},
		{"unknown user", bodyBadLogin, map[string]string{"username": "nobody", "password": pw}},
		{"inactive user", bodyBadLogin, map[string]string{"username": "bob", "password": bobPW}},
		{"empty body", `{"username":["This field is required."],"password":["This field is required."]}`, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantJSON(t, s.Post(tokenAuthPath, tc.body), http.StatusBadRequest, tc.want)
		})
	}
	r = s.Do(testserver.Request{Method: http.MethodGet, Path: tokenAuthPath})
	if r.Status != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", r.Status)
	}
}

func TestTokenSchemeAuthenticates(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	_, pw := s.NewUser("carol")
	key := obtainKey(t, s, "carol", pw)

	r := getWithKey(s, profilePath, key)
	if r.Status != http.StatusOK || r.Str(t, "username") != "carol" {
		t.Fatalf("profile with key: %d %s", r.Status, r.Body)
	}
	for _, tc := range []struct {
		name, header string
		status       int
		want         string
	}{
		{"lowercase scheme", "token " + key, http.StatusOK, ""},
		{"unknown key", "Token " + strings.Repeat("A", 43), http.StatusUnauthorized, bodyInvalidKey},
		{"oversized key", "Token " + strings.Repeat("A", 1000), http.StatusUnauthorized, bodyInvalidKey},
		{"no key", "Token", http.StatusUnauthorized, `{"detail":"Invalid token header. No credentials provided.","code":"authentication_failed"}`},
		{"two values", "Token " + key + " x", http.StatusUnauthorized, `{"detail":"Invalid token header. Token string should not contain spaces.","code":"authentication_failed"}`},
		{"key as bearer", "Bearer " + key, http.StatusUnauthorized, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(testserver.Request{Method: http.MethodGet, Path: profilePath, Header: map[string]string{"Authorization": tc.header}})
			if tc.want != "" {
				wantJSON(t, r, tc.status, tc.want)
			} else if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.status == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") != `Bearer realm="api"` {
				t.Fatalf("401 without WWW-Authenticate: %v", r.Header)
			}
		})
	}

	// An inactive user's key is refused with the same answer as a Bearer token.
	setFlags(t, s, "carol", map[string]any{"is_active": false})
	wantJSON(t, getWithKey(s, profilePath, key), http.StatusUnauthorized, bodyInactive)
}

func TestLogoutAllWithTokenRevokesEverything(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pair, pw := s.NewUser("dave")
	k1, k2 := obtainKey(t, s, "dave", pw), obtainKey(t, s, "dave", pw)

	r := s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/logout/all/", Token: k1})
	wantJSON(t, r, http.StatusOK, `{}`)
	for _, k := range []string{k1, k2} {
		wantJSON(t, getWithKey(s, profilePath, k), http.StatusUnauthorized, bodyInvalidKey)
	}
	if r := s.Do(testserver.Request{Method: http.MethodGet, Path: profilePath, Bearer: pair.Access}); r.Status != http.StatusUnauthorized {
		t.Fatalf("access token after logout/all by key: %d", r.Status)
	}
	// Logout/all through Bearer ends keys too.
	k3 := obtainKey(t, s, "dave", pw)
	p2 := s.Login("dave", pw)
	wantJSON(t, s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/logout/all", Bearer: p2.Access}), http.StatusOK, `{}`)
	wantJSON(t, getWithKey(s, profilePath, k3), http.StatusUnauthorized, bodyInvalidKey)
}

func TestRevokeKey(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pair, pw := s.NewUser("erin")
	k1, k2 := obtainKey(t, s, "erin", pw), obtainKey(t, s, "erin", pw)

	for _, tc := range []struct {
		name, method, path string
	}{
		{"DELETE api-token-auth", http.MethodDelete, tokenAuthPath},
		{"POST accounts logout", http.MethodPost, "/api/accounts/logout/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := obtainKey(t, s, "erin", pw)
			r := s.Do(testserver.Request{Method: tc.method, Path: tc.path, Token: key})
			if r.Status != http.StatusNoContent || len(r.Body) != 0 {
				t.Fatalf("revoke: %d %s", r.Status, r.Body)
			}
			wantJSON(t, getWithKey(s, profilePath, key), http.StatusUnauthorized, bodyInvalidKey)
			wantJSON(t, s.Do(testserver.Request{Method: tc.method, Path: tc.path, Token: key}), http.StatusUnauthorized, bodyInvalidKey)
			wantJSON(t, s.Do(testserver.Request{Method: tc.method, Path: tc.path}), http.StatusUnauthorized, bodyNoAuth)
			r = s.Do(testserver.Request{Method: tc.method, Path: tc.path, Bearer: pair.Access})
			if r.Status != http.StatusBadRequest {
				t.Fatalf("revoke with a Bearer token: %d %s", r.Status, r.Body)
			}
		})
	}
	// Revoking one key leaves the user's other keys and sessions alone.
	for _, k := range []string{k1, k2} {
		if r := getWithKey(s, profilePath, k); r.Status != http.StatusOK {
			t.Fatalf("other key: %d %s", r.Status, r.Body)
		}
	}
	if r := s.Do(testserver.Request{Method: http.MethodGet, Path: profilePath, Bearer: pair.Access}); r.Status != http.StatusOK {
		t.Fatalf("session after key revoke: %d", r.Status)
	}
}

func TestAccountsAppFlow(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	const pw = "correct-Horse-77"

	r := s.Post(accountsRegister, map[string]string{"username": "frank", "password": pw, "email": "frank@example.com", "is_staff": "true"})
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	m := r.JSON(t)
	key, _ := m["token"].(string)
	if len(key) < 43 || m["username"] != "frank" || m["email"] != "frank@example.com" || m["is_staff"] != false {
		t.Fatalf("register body: %s", r.Body)
	}
	if _, ok := m["password"]; ok {
		t.Fatalf("password in body: %s", r.Body)
	}
	if r := getWithKey(s, profilePath, key); r.Status != http.StatusOK || r.Str(t, "username") != "frank" {
		t.Fatalf("key from register: %d %s", r.Status, r.Body)
	}
	r = s.Post(accountsRegister, map[string]string{"username": "Frank", "password": pw})
	wantJSON(t, r, http.StatusBadRequest, `{"username":["A user with that username already exists."]}`)
	r = s.Post(accountsRegister, map[string]string{"username": "gus", "password": "12345678"})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"password"`) {
		t.Fatalf("weak password: %d %s", r.Status, r.Body)
	}

	r = s.Post("/api/accounts/login/", map[string]string{"username": "frank", "password": pw})
	if r.Status != http.StatusOK {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	m = r.JSON(t)
	key2, _ := m["token"].(string)
	u, _ := m["user"].(map[string]any)
	if len(key2) < 43 || key2 == key || u["username"] != "frank" || u["last_login"] == nil {
		t.Fatalf("login body: %s", r.Body)
	}
	wantJSON(t, s.Post("/api/accounts/login", map[string]string{"username": "frank", "password": "wrong-pass-1"}), http.StatusBadRequest, bodyBadLogin)
	wantJSON(t, s.Post("/api/accounts/login", map[string]string{"username": "ghost", "password": pw}), http.StatusBadRequest, bodyBadLogin)

	r = s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/accounts/logout/", Token: key2})
	if r.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	wantJSON(t, getWithKey(s, profilePath, key2), http.StatusUnauthorized, bodyInvalidKey)
	if r := getWithKey(s, profilePath, key); r.Status != http.StatusOK {
		t.Fatalf("register key after logout of the login key: %d", r.Status)
	}
}

func TestPasswordChangeRevokesKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// viaKey: the change is made with one of the keys, which survives.
		viaKey bool
		path   string
		body   func(old, new string) map[string]string
	}{
		{"change by bearer", false, "/api/auth/password/change/", changeBody},
		{"change by key", true, "/api/auth/password/change/", changeBody},
		{"profile patch by key", true, profilePath, patchBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t, testserver.Options{})
			pair, pw := s.NewUser("hank")
			mine, other := obtainKey(t, s, "hank", pw), obtainKey(t, s, "hank", pw)
			req := testserver.Request{Method: http.MethodPost, Path: tc.path, JSON: tc.body(pw, "brand-New-pass-42")}
			if tc.path == profilePath {
				req.Method = http.MethodPatch
			}
			if tc.viaKey {
				req.Token = mine
			} else {
				req.Bearer = pair.Access
			}
			if r := s.Do(req); r.Status != http.StatusOK {
				t.Fatalf("change: %d %s", r.Status, r.Body)
			}
			wantJSON(t, getWithKey(s, profilePath, other), http.StatusUnauthorized, bodyInvalidKey)
			r := getWithKey(s, profilePath, mine)
			if tc.viaKey && r.Status != http.StatusOK {
				t.Fatalf("the key that made the change was revoked: %d", r.Status)
			}
			if !tc.viaKey && r.Status != http.StatusUnauthorized {
				t.Fatalf("key survived a change made by Bearer: %d", r.Status)
			}
			r = s.Do(testserver.Request{Method: http.MethodGet, Path: profilePath, Bearer: pair.Access})
			if want := map[bool]int{true: http.StatusUnauthorized, false: http.StatusOK}[tc.viaKey]; r.Status != want {
				t.Fatalf("session after change: %d, want %d", r.Status, want)
			}
		})
	}
}

func changeBody(old, new string) map[string]string {
	return map[string]string{"old_password": old, "new_password": new}
}

func patchBody(old, new string) map[string]string {
	return map[string]string{"current_password": old, "password": new}
}
