package handlers_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"authsvc/internal/testserver"
	"authsvc/mfa"
	"authsvc/passwords"
)

// BenchmarkLoginSecondFactor is a whole login with and without a TOTP
// factor, with the production password hash (the cost every login pays):
// factor=off is POST /token/; factor=on is POST /token/ (403 with an
// mfa_token) and POST /token/mfa/ with the code. The clock moves one TOTP
// step per login in both, so every code is fresh (a step is good once).
// The target is factor=on within 10% of factor=off.
func BenchmarkLoginSecondFactor(b *testing.B) {
	for _, factor := range []bool{false, true} {
		name := "factor=off"
		if factor {
			name = "factor=on"
		}
		b.Run(name, func(b *testing.B) {
			params := passwords.OWASP
			s := testserver.New(b, testserver.Options{HashParams: &params,
				Env: map[string]string{"AUTH_THROTTLE": "off"}})
			h := s.App.Handler
			p := benchLogin(b, s, "bench")
			secret := ""
			if factor {
				secret = benchEnrol(b, s, p.Access)
			}
			login := []byte(`{"username":"bench","password":"` + benchPassword + `"}`)
			b.ReportAllocs()
			for b.Loop() {
				s.Clock.Advance(mfa.Period)
				if !factor {
					serve(b, h, jsonPost("/api/auth/token/", login), http.StatusOK)
					continue
				}
				w := serve(b, h, jsonPost("/api/auth/token/", login), http.StatusForbidden)
				var ch struct {
					MFAToken string `json:"mfa_token"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &ch); err != nil {
					b.Fatal(err)
				}
				code, err := mfa.Code(secret, s.Clock.Now())
				if err != nil {
					b.Fatal(err)
				}
				body, _ := json.Marshal(map[string]string{"mfa_token": ch.MFAToken, "code": code})
				serve(b, h, jsonPost("/api/auth/token/mfa/", body), http.StatusOK)
			}
		})
	}
}

func jsonPost(path string, body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// benchEnrol turns TOTP on for the user of access and returns its secret.
func benchEnrol(b *testing.B, s *testserver.Server, access string) string {
	b.Helper()
	r := s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/mfa/totp/", Bearer: access,
		JSON: map[string]string{"password": benchPassword}})
	if r.Status != http.StatusOK {
		b.Fatalf("enrol: %d %s", r.Status, r.Body)
	}
	var e struct{ Secret string }
	if err := json.Unmarshal(r.Body, &e); err != nil {
		b.Fatal(err)
	}
	code, err := mfa.Code(e.Secret, s.Clock.Now())
	if err != nil {
		b.Fatal(err)
	}
	r = s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/mfa/totp/confirm/", Bearer: access,
		JSON: map[string]string{"code": code}})
	if r.Status != http.StatusOK {
		b.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	s.Clock.Advance(time.Minute)
	return e.Secret
}
