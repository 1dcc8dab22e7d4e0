package handlers_test

import (
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

func TestLogout(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	for _, path := range []string{pathLogout, pathBlacklist} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			name := map[string]string{pathLogout: "leaver", pathBlacklist: "blacklister"}[path]
			p, pw := s.NewUser(name)
			kept := s.Login(name, pw)
			r := s.Post(path, map[string]string{"refresh": p.Refresh})
			wantStatus(t, r, http.StatusOK)
			if string(r.Body) != "{}" {
				t.Errorf("body %s", r.Body)
			}
			// The access token ends at once, not at its expiry.
			wantTokenInvalid(t, profile(s, p.Access))
			wantTokenInvalid(t, refresh(s, p.Refresh))
			// Logging out twice is refused.
			wantTokenInvalid(t, s.Post(path, map[string]string{"refresh": p.Refresh}))
			// Only that session ended.
			wantStatus(t, profile(s, kept.Access), http.StatusOK)
		})
	}
	t.Run("bad input", func(t *testing.T) {
		wantField(t, s.Post(pathLogout, map[string]string{}), "refresh", "This field is required.")
		wantTokenInvalid(t, s.Post(pathLogout, map[string]string{"refresh": "garbage"}))
	})
}

func TestLogoutAll(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	a, pw := s.NewUser("everywhere")
	b := s.Login("everywhere", pw)
	bystander, _ := s.NewUser("bystander")

	wantError(t, s.Do(testserver.Request{Method: http.MethodPost, Path: pathLogoutAll}), http.StatusUnauthorized, "not_authenticated")
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: pathLogoutAll, Bearer: a.Access})
	wantStatus(t, r, http.StatusOK)
	if string(r.Body) != "{}" {
		t.Errorf("body %s", r.Body)
	}
	for _, p := range []testserver.Pair{a, b} {
		wantTokenInvalid(t, profile(s, p.Access))
		wantTokenInvalid(t, refresh(s, p.Refresh))
	}
	wantStatus(t, profile(s, bystander.Access), http.StatusOK)
	s.Login("everywhere", pw) // the account itself still works
}
