package testserver

import (
	"net/http"
	"testing"
)

// TestContractCheckRejectsDrift feeds the checker answers that break the
// document, so a passing handler test means something.
func TestContractCheckRejectsDrift(t *testing.T) {
	t.Parallel()
	k, err := newContract()
	if err != nil {
		t.Fatal(err)
	}
	json := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	unauth := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Www-Authenticate": {`Bearer realm="api"`}}
	errBody := `{"detail":"x","code":"y"}`
	cases := []struct {
		name, method, path string
		status             int
		header             http.Header
		body               string
		ok                 bool
	}{
		{"healthz ok", "GET", "/healthz", 200, json, `{"status":"ok"}`, true},
		{"healthz with slash", "GET", "/healthz/", 200, json, `{"status":"ok"}`, true},
		{"token without slash", "POST", "/api/auth/token", 200, json, `{"access":"a","refresh":"r"}`, true},
		{"token missing access", "POST", "/api/auth/token/", 200, json, `{"refresh":"r"}`, false},
		{"undocumented status", "GET", "/healthz", 418, json, errBody, false},
		{"undocumented route answering 200", "GET", "/api/secret", 200, json, `{}`, false},
		{"unknown route 404", "GET", "/api/secret", 404, json, errBody, true},
		{"unknown route 404 bad body", "GET", "/api/secret", 404, json, `{"error":"x"}`, false},
		{"wrong method 405", "GET", "/api/auth/token/", 405, http.Header{"Content-Type": json["Content-Type"], "Allow": {"POST"}}, errBody, true},
		{"wrong method without Allow", "GET", "/api/auth/token/", 405, json, errBody, false},
		{"401 without WWW-Authenticate", "GET", "/api/auth/profile/", 401, json, errBody, false},
		{"401 with WWW-Authenticate", "GET", "/api/auth/profile/", 401, unauth, errBody, true},
		{"profile wrong type", "GET", "/api/auth/profile/", 200, json, `{"id":"1"}`, false},
		{"field errors", "POST", "/api/auth/register/", 400, json, `{"username":["This field is required."]}`, true},
		{"CORS preflight is not an operation", "OPTIONS", "/api/auth/token/", 204, http.Header{}, "", true},
		{"html error", "POST", "/api/auth/register/", 400, http.Header{"Content-Type": {"text/html"}}, `<h1>bad</h1>`, false},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, "http://127.0.0.1:1"+c.path, nil)
		if c.method == http.MethodOptions {
			req.Header.Set("Access-Control-Request-Method", "POST")
		}
		err := k.check(req, &Response{Status: c.status, Header: c.header, Body: []byte(c.body)})
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

// TestContractCheckConcurrent: tests call Do from many goroutines (refresh
// races), so the checker must be safe for concurrent use (run with -race).
func TestContractCheckConcurrent(t *testing.T) {
	t.Parallel()
	k, err := newContract()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for range 8 {
		go func() {
			req, _ := http.NewRequest("POST", "http://127.0.0.1:1/api/auth/token/refresh", nil)
			done <- k.check(req, &Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"access":"a","refresh":"b"}`)})
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
