package handlers_test

import (
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

// TestDiscoveryUsesConfiguredURL: the discovery document tells resource
// servers where the keys are. Built from the Host header, a request with
// Host: evil.example got a jwks_uri on the attacker's host (and a shared
// cache could hand that to others). With AUTH_PUBLIC_URL (or AUTH_ISSUER)
// set, the Host header plays no part; with neither, the request's own
// host is used but the answer is marked uncacheable.
func TestDiscoveryUsesConfiguredURL(t *testing.T) {
	t.Parallel()
	const public = "https://auth.example.com"
	for _, tc := range []struct {
		name                string
		env                 map[string]string
		wantIssuer, wantURL string // "" = the test server's own URL
		cacheable           bool
	}{
		{"public URL", map[string]string{"AUTH_PUBLIC_URL": public}, public, public, true},
		{"public URL with path", map[string]string{"AUTH_PUBLIC_URL": public + "/auth"}, public + "/auth", public + "/auth", true},
		{"issuer only", map[string]string{"AUTH_ISSUER": "https://issuer.example.com"}, "https://issuer.example.com", "https://issuer.example.com", true},
		{"issuer and public URL", map[string]string{"AUTH_ISSUER": "urn:authsvc", "AUTH_PUBLIC_URL": public}, "urn:authsvc", public, true},
		{"nothing configured", nil, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t, testserver.Options{Env: tc.env})
			iss, base := tc.wantIssuer, tc.wantURL
			if iss == "" {
				iss, base = s.URL, s.URL
			}
			for _, host := range []string{"", "evil.example"} {
				h := map[string]string{}
				if host != "" {
					h["Host"] = host
					if !tc.cacheable {
						// Unconfigured: the request's host is all there is.
						iss, base = "http://"+host, "http://"+host
					}
				}
				r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/.well-known/openid-configuration", Header: h})
				m := r.JSON(t)
				if r.Status != http.StatusOK || m["issuer"] != iss || m["jwks_uri"] != base+"/.well-known/jwks.json" ||
					m["token_endpoint"] != base+"/api/auth/token/" {
					t.Errorf("Host %q: %d issuer %v jwks_uri %v token_endpoint %v, want %s and %s/...", host, r.Status,
						m["issuer"], m["jwks_uri"], m["token_endpoint"], iss, base)
				}
				cc := r.Header.Get("Cache-Control")
				if tc.cacheable != (cc == "public, max-age=300") || (!tc.cacheable && cc != "no-store") {
					t.Errorf("Host %q: Cache-Control %q (cacheable: %v)", host, cc, tc.cacheable)
				}
			}
		})
	}
}
