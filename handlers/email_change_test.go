package handlers_test

import (
	"fmt"
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

// Changing the address needs the password: without it, a stolen access
// token or API key could move the address and then reset the password.
// Staff changing another user's address give their own password. With
// verification on (the default) the change then waits for the new
// address's link, which email_change_flow_test.go follows.
func TestEmailChangeNeedsCurrentPassword(t *testing.T) {
	t.Parallel()
	srv := testserver.New(t, testserver.Options{})
	staff, staffPW := newStaff(t, srv, "keeper")
	const userPW = "Mailer-own-passphrase-4"
	cases := []struct {
		name string
		// via returns the request for user name (id), its session and key.
		via      func(id int64, own testserver.Pair, key string) profileCall
		body     map[string]any // email is added
		sameMail bool           // send the address the user has now
		status   int
		field    string // the field error expected with a 400
	}{
		{name: "own PATCH without current_password", via: ownPatch, status: 400, field: "current_password"},
		{name: "own PATCH wrong current_password", via: ownPatch, body: map[string]any{"current_password": "not-it-Zz9"}, status: 400, field: "current_password"},
		{name: "own PATCH blank current_password", via: ownPatch, body: map[string]any{"current_password": ""}, status: 400, field: "current_password"},
		{name: "own PATCH with current_password", via: ownPatch, body: map[string]any{"current_password": userPW}, status: 200},
		{name: "own PATCH same address", via: ownPatch, sameMail: true, status: 200},
		{name: "own PUT without current_password", via: ownPut, status: 400, field: "current_password"},
		{name: "own PATCH by API key", via: func(id int64, own testserver.Pair, key string) profileCall {
			return profileCall{http.MethodPatch, "/api/auth/profile/", "", key}
		}, status: 400, field: "current_password"},
		{name: "profiles endpoint, owner, without", via: ownProfiles, status: 400, field: "current_password"},
		{name: "profiles endpoint, owner, with", via: ownProfiles, body: map[string]any{"current_password": userPW}, status: 200},
		{name: "staff without", via: staffProfiles(staff), status: 400, field: "current_password"},
		{name: "staff with the user's password", via: staffProfiles(staff), body: map[string]any{"current_password": userPW}, status: 400, field: "current_password"},
		{name: "staff with their own password", via: staffProfiles(staff), body: map[string]any{"current_password": staffPW}, status: 200},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := fmt.Sprintf("mailer%d", i)
			old := name + "@example.test"
			id := registerWithEmail(t, srv, name, old, userPW)
			own := srv.Login(name, userPW)
			key := obtainKey(t, srv, name, userPW)
			c := tc.via(id, own, key)
			body := map[string]any{"email": name + "@attacker.test"}
			if tc.sameMail {
				body["email"] = old
			}
			if c.method == http.MethodPut {
				body["username"] = name
			}
			for k, v := range tc.body {
				body[k] = v
			}
			r := srv.Do(testserver.Request{Method: c.method, Path: c.path, Bearer: c.bearer, Token: c.key, JSON: body})
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			// Verification is on (the default): an accepted change only
			// makes the new address pending, a refused one leaves nothing
			// pending either.
			pending := ""
			if tc.status == http.StatusOK && !tc.sameMail {
				pending = body["email"].(string)
			} else if tc.status != http.StatusOK {
				wantField(t, r, tc.field, "")
			}
			wantAddress(t, srv, name, old, pending)
		})
	}
}

// profileCall is how a profile update is sent: method, path and credential.
type profileCall struct {
	method, path string
	bearer, key  string
}

func ownPatch(id int64, own testserver.Pair, key string) profileCall {
	return profileCall{http.MethodPatch, "/api/auth/profile/", own.Access, ""}
}

func ownPut(id int64, own testserver.Pair, key string) profileCall {
	return profileCall{http.MethodPut, "/api/auth/profile/", own.Access, ""}
}

func ownProfiles(id int64, own testserver.Pair, key string) profileCall {
	return profileCall{http.MethodPatch, fmt.Sprintf("/api/accounts/profiles/%d/", id), own.Access, ""}
}

func staffProfiles(staff testserver.Pair) func(id int64, own testserver.Pair, key string) profileCall {
	return func(id int64, own testserver.Pair, key string) profileCall {
		return profileCall{http.MethodPatch, fmt.Sprintf("/api/accounts/profiles/%d/", id), staff.Access, ""}
	}
}
