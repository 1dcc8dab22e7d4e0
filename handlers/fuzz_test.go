package handlers_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

// fuzzPaths are the endpoints whose JSON decoding is fuzzed.
var fuzzPaths = []string{"/api/auth/register/", "/api/auth/token/", "/api/auth/token/refresh/"}

var fuzzTypes = []string{"application/json", "application/x-www-form-urlencoded",
	"multipart/form-data; boundary=X", "text/plain", "", "application/vnd.api+json"}

// FuzzRequestDecoding sends arbitrary bodies through the real handler of
// register, token and refresh: whatever arrives, the answer is a JSON object
// and never a 5xx.
func FuzzRequestDecoding(f *testing.F) {
	s := testserver.New(f, testserver.Options{})
	pair, _ := s.NewUser("fuzzer")
	for i := range fuzzPaths {
		for j := range fuzzTypes[:2] {
			f.Add(uint8(i), uint8(j), []byte(`{"username":"fuzzer","password":"Xk7#long-Passphrase"}`))
			f.Add(uint8(i), uint8(j), []byte(`{"refresh":"`+pair.Refresh+`"}`))
			f.Add(uint8(i), uint8(j), []byte(`{"username":"new-user","password":"correct-Horse-77","email":"a@b.co"}`))
			f.Add(uint8(i), uint8(j), []byte(`username=fuzzer&password=x`))
		}
		f.Add(uint8(i), uint8(0), []byte(`{"username":null,"password":["x"],"refresh":{}}`))
		f.Add(uint8(i), uint8(0), []byte(`[1,2]`))
		f.Add(uint8(i), uint8(0), []byte(`"str"`))
		f.Add(uint8(i), uint8(0), []byte(`{"username":"\u0000\ud800","password":"`+strings.Repeat("é", 600)+`"}`))
		f.Add(uint8(i), uint8(2), []byte("--X\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nfuzzer\r\n--X--\r\n"))
	}
	h := s.App.Handler
	f.Fuzz(func(t *testing.T, path, ctype uint8, body []byte) {
		req := httptest.NewRequest(http.MethodPost, fuzzPaths[int(path)%len(fuzzPaths)], bytes.NewReader(body))
		if ct := fuzzTypes[int(ctype)%len(fuzzTypes)]; ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s: %d %s", req.URL.Path, w.Code, w.Body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Fatalf("%s: content type %q (%d)", req.URL.Path, ct, w.Code)
		}
		var m map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s: %d body is not a JSON object: %q", req.URL.Path, w.Code, w.Body)
		}
	})
}
