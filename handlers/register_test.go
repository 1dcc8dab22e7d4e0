package handlers_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"authsvc/internal/testserver"
)

func TestRegisterSuccess(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	r := s.Post(pathRegister, map[string]any{
		"username": "alice", "password": strongPassword, "email": "alice@example.com", "bio": "hi",
	})
	wantStatus(t, r, http.StatusCreated)
	if ct := r.Header.Get("Content-Type"); ct != jsonCT {
		t.Errorf("Content-Type %q", ct)
	}
	m := r.JSON(t)
	if id, ok := m["id"].(float64); !ok || id < 1 {
		t.Errorf("id %v", m["id"])
	}
	for k, want := range map[string]any{"username": "alice", "email": "alice@example.com", "bio": "hi", "is_staff": false} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	for _, k := range []string{"password", "password_hash", "current_password"} {
		if _, ok := m[k]; ok {
			t.Errorf("body has %q: %s", k, r.Body)
		}
	}
	if bytes.Contains(r.Body, []byte(strongPassword)) || bytes.Contains(r.Body, []byte("argon2")) {
		t.Errorf("body leaks the password or its hash: %s", r.Body)
	}
	s.Login("alice", strongPassword)
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	ok := map[string]any{"username": "valid_user", "password": strongPassword}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k2, v2 := range ok {
			m[k2] = v2
		}
		m[k] = v
		return m
	}
	without := func(k string) map[string]any {
		m := with(k, nil)
		delete(m, k)
		return m
	}
	cases := []struct {
		name  string
		body  map[string]any
		field string
		msg   string
	}{
		{"username missing", without("username"), "username", "This field is required."},
		{"username blank", with("username", ""), "username", "This field may not be blank."},
		{"username null", with("username", nil), "username", "This field may not be null."},
		{"username number", with("username", 42), "username", "Not a valid string."},
		{"username list", with("username", []string{"a"}), "username", "Not a valid string."},
		{"username space", with("username", "bad name"), "username", "Enter a valid username."},
		{"username slash", with("username", "bad/name"), "username", "Enter a valid username."},
		{"username too long", with("username", strings.Repeat("a", 151)), "username", "no more than 150 characters"},
		{"password missing", without("password"), "password", "This field is required."},
		{"password blank", with("password", ""), "password", "This field may not be blank."},
		{"password null", with("password", nil), "password", "This field may not be null."},
		{"password bool", with("password", true), "password", "Not a valid string."},
		{"password common", with("password", "password123"), "password", "too common"},
		{"password numeric", with("password", "8374619203746"), "password", "entirely numeric"},
		{"password short", with("password", "Xk7#a"), "password", "too short"},
		{"password similar", with("password", "valid_user1"), "password", "too similar to the username"},
		{"password over 1024 bytes", with("password", strings.Repeat("é", 513)), "password", "no more than 1024 bytes"},
		{"email invalid", with("email", "not-an-email"), "email", "Enter a valid email address."},
		{"email with name", with("email", "Bob <bob@example.com>"), "email", "Enter a valid email address."},
		{"email number", with("email", 7), "email", "Not a valid string."},
		{"bio too long", with("bio", strings.Repeat("b", 501)), "bio", "no more than 500 characters"},
		{"picture javascript", with("profile_picture", "javascript:alert(1)"), "profile_picture", "Enter a valid URL."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.Post(pathRegister, c.body)
			wantField(t, r, c.field, c.msg)
		})
	}
	// None of those created the user.
	r := s.Post(pathToken, map[string]string{"username": "valid_user", "password": strongPassword})
	wantError(t, r, http.StatusUnauthorized, "no_active_account")
}

func TestRegisterLimitsAccepted(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	r := s.Post(pathRegister, map[string]any{
		"username": strings.Repeat("u", 150), "password": strings.Repeat("Zq8!", 256), // exactly 1024 bytes
		"bio": strings.Repeat("é", 500), "email": nil,
	})
	wantStatus(t, r, http.StatusCreated)
}

func TestRegisterDuplicates(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.Post(pathRegister, map[string]any{"username": "Alice", "password": strongPassword, "email": "Alice@Example.com"})
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"username lower case", map[string]any{"username": "alice", "password": strongPassword}, "username"},
		{"username upper case", map[string]any{"username": "ALICE", "password": strongPassword}, "username"},
		{"username full-width (NFKC)", map[string]any{"username": "Ａｌｉｃｅ", "password": strongPassword}, "username"},
		{"email other case", map[string]any{"username": "bob", "password": strongPassword, "email": "alice@example.COM"}, "email"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantField(t, s.Post(pathRegister, c.body), c.field, "already exists")
		})
	}
}

func TestRegisterFormBodies(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)

	form := url.Values{"username": {"formuser"}, "password": {strongPassword}, "bio": {"from a form"}}
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: pathRegister,
		Body: strings.NewReader(form.Encode()), ContentType: "application/x-www-form-urlencoded"})
	wantStatus(t, r, http.StatusCreated)
	if r.JSON(t)["bio"] != "from a form" {
		t.Errorf("form bio not stored: %s", r.Body)
	}

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"username": "multiuser", "password": strongPassword, "email": "m@example.com"} {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	mw.Close()
	r = s.Do(testserver.Request{Method: http.MethodPost, Path: pathRegister, Body: &buf, ContentType: mw.FormDataContentType()})
	wantStatus(t, r, http.StatusCreated)
	if r.JSON(t)["email"] != "m@example.com" {
		t.Errorf("multipart email not stored: %s", r.Body)
	}
	s.Login("formuser", strongPassword)
	s.Login("multiuser", strongPassword)
}

func TestRegisterIgnoresReadOnlyFields(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	r := s.Post(pathRegister, map[string]any{
		"username": "sneaky", "password": strongPassword,
		"is_staff": true, "Is_Staff": true, "IS_STAFF": true, "IsStaff": true,
		"is_superuser": true, "id": 999, "Id": 999, "is_active": false, "Is_Active": false,
		"followers_count": 1000, "date_joined": "2000-01-01T00:00:00Z",
	})
	wantStatus(t, r, http.StatusCreated)
	m := r.JSON(t)
	if m["is_staff"] != false || m["id"] == float64(999) || m["followers_count"] != float64(0) {
		t.Errorf("read-only field applied: %s", r.Body)
	}
	id := int64(m["id"].(float64))
	u, err := s.App.Store.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if u.IsStaff || u.IsSuperuser || !u.IsActive || u.ID == 999 || u.FollowersCount != 0 || u.DateJoined.Year() == 2000 {
		t.Errorf("stored user has client-set read-only fields: %+v", u)
	}
	s.Login("sneaky", strongPassword) // still active
}

func TestRegisterConcurrentSameName(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	names := []string{"Racer", "racer", "RACER", "rAcEr", "Ｒａｃｅｒ"}
	statuses := make([]int, 20)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := `{"username": "` + names[i%len(names)] + `", "password": "` + strongPassword + `"}`
			resp, err := s.Client.Post(s.URL+pathRegister, "application/json", strings.NewReader(body))
			if err != nil {
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	created := 0
	for i, st := range statuses {
		switch st {
		case http.StatusCreated:
			created++
		case http.StatusBadRequest:
		default:
			t.Errorf("request %d: status %d", i, st)
		}
	}
	if created != 1 {
		t.Errorf("%d users created for one name", created)
	}
}
