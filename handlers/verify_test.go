package handlers_test

import (
	"net/http"
	"testing"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	live, pw := s.NewUser("verifier")
	rotated := s.Login("verifier", pw)
	successor := pairOf(t, refresh(s, rotated.Refresh))
	loggedOut := s.Login("verifier", pw)
	wantStatus(t, s.Post(pathLogout, map[string]string{"refresh": loggedOut.Refresh}), http.StatusOK)

	cases := []struct {
		name, token string
		ok          bool
	}{
		{"live access", live.Access, true},
		{"live refresh", live.Refresh, true},
		{"successor refresh", successor.Refresh, true},
		{"rotated (blacklisted) refresh", rotated.Refresh, false},
		{"access of a logged-out session", loggedOut.Access, false},
		{"refresh of a logged-out session", loggedOut.Refresh, false},
		{"garbage", "garbage", false},
		{"tampered", live.Access + "x", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := s.Post(pathVerify, map[string]string{"token": c.token})
			if !c.ok {
				wantTokenInvalid(t, r)
				return
			}
			wantStatus(t, r, http.StatusOK)
			if string(r.Body) != "{}" {
				t.Errorf("body %s, want {}", r.Body)
			}
		})
	}
	t.Run("missing token", func(t *testing.T) {
		wantField(t, s.Post(pathVerify, map[string]string{}), "token", "This field is required.")
	})
}
