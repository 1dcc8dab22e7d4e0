package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

// TestLogsHoldNoSecrets drives every kind of request, good and bad, with
// debug logging on, and then looks for passwords, tokens, hashes and the
// signing secret in what was logged.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	var logs testserver.LogBuffer
	s := testserver.New(t, testserver.Options{Log: &logs})
	const pw, next, badPolicy = "Lg9!secret-meadow-42", "Lg9!other-secret-77", "weakpw"
	s.Register("logged", pw)
	s.Post(pathRegister, map[string]string{"username": "weak", "password": badPolicy})
	s.Post(pathToken, map[string]string{"username": "logged", "password": "Wrong-password-9!"})
	p := s.Login("logged", pw)
	p1 := pairOf(t, refresh(s, p.Refresh))
	refresh(s, p.Refresh)
	refresh(s, p.Refresh+"x")
	profile(s, p1.Access+"x")
	profile(s, p1.Access)
	s.Post(pathVerify, map[string]string{"token": p1.Access})
	s.Do(testserver.Request{Method: http.MethodPost, Path: pathPassword, Bearer: p1.Access,
		JSON: map[string]string{"old_password": "Wrong-old-pw-1!", "new_password": next}})
	s.Do(testserver.Request{Method: http.MethodPost, Path: pathPassword, Bearer: p1.Access,
		JSON: map[string]string{"old_password": pw, "new_password": next}})
	s.Post(pathLogout, map[string]string{"refresh": p1.Refresh})
	s.Do(testserver.Request{Method: http.MethodGet, Path: pathProfile + "?token=" + p1.Access})

	out := logs.String()
	if !strings.Contains(out, `"request_id"`) {
		t.Errorf("log lines carry no request_id")
	}
	secrets := map[string]string{
		"password": pw, "new password": next, "refused password": badPolicy, "wrong password": "Wrong-password-9!",
		"secret": testserver.Secret, "hash": "argon2id",
	}
	for i, tok := range []string{p.Access, p.Refresh, p1.Access, p1.Refresh} {
		// Any one segment would do: the signature is the secret part.
		secrets["token "+string(rune('0'+i))] = tok[strings.LastIndexByte(tok, '.')+1:]
	}
	for what, v := range secrets {
		if strings.Contains(out, v) {
			t.Errorf("the log holds the %s", what)
		}
	}
}
