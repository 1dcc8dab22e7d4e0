package handlers_test

import (
	"io"
	"net/http"
	"testing"

	"authsvc/internal/testserver"
)

// TestThrottleResetPerAddress: the reset guard keys each request by the
// email of the very body the handler binds (decoded once, case folded), in
// every encoding clients send: three requests an hour per address.
func TestThrottleResetPerAddress(t *testing.T) {
	t.Parallel()
	for _, enc := range []struct {
		name string
		body func(fields map[string]string, bad, value string) (io.Reader, string)
	}{{"json", jsonBody}, {"form", formBody}, {"multipart", multipartBody}} {
		t.Run(enc.name, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t, testserver.Options{Env: throttled(nil)})
			reset := func(email string) *testserver.Response {
				b, ct := enc.body(map[string]string{"email": email}, "", "")
				return s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/password/reset/", Body: b, ContentType: ct})
			}
			for _, email := range []string{"Someone@Example.com", "someone@example.com", "SOMEONE@example.com"} {
				if r := reset(email); r.Status != http.StatusAccepted {
					t.Fatalf("%s: %d %s", email, r.Status, r.Body)
				}
			}
			if r := reset("someone@EXAMPLE.com"); r.Status != http.StatusTooManyRequests || r.JSON(t)["code"] != "throttled" {
				t.Fatalf("fourth request for the address: %d %s", r.Status, r.Body)
			}
			if r := reset("other@example.com"); r.Status != http.StatusAccepted {
				t.Fatalf("another address: %d %s", r.Status, r.Body)
			}
		})
	}
}
