package reqbody

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"authsvc/apierr"
)

// countingBody counts the bytes read from a request body.
type countingBody struct {
	r io.Reader
	n int
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += n
	return n, err
}

func (b *countingBody) Close() error { return nil }

func testContext(contentType, body string) (*gin.Context, *countingBody) {
	gin.SetMode(gin.TestMode)
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	cb := &countingBody{r: strings.NewReader(body)}
	c.Request = httptest.NewRequest(http.MethodPost, "/", cb)
	if contentType != "" {
		c.Request.Header.Set("Content-Type", contentType)
	}
	return c, cb
}

const multipartFields = "--B\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n" +
	"--B\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nmulti\r\n--B--\r\n"

// TestString is the field a throttle keys a request by: a string field of
// a body that decodes, "" for anything else.
func TestString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ ct, body, want string }{
		{"application/json", `{"username":"alice"}`, "alice"},
		{"application/json; charset=utf-8", `{"username":"al\u0069ce"}`, "alice"},
		{"application/vnd.api+json", `{"username":"alice"}`, "alice"},
		{"application/json", `{"username":5}`, ""},
		{"application/json", `{"username":null}`, ""},
		{"application/json", `{"user":"alice"}`, ""},
		{"application/json", `{"username":"alice"`, ""},
		{"application/x-www-form-urlencoded", "username=b%C3%B6b&password=x", "böb"},
		{"multipart/form-data; boundary=B", multipartFields, "multi"},
		{"multipart/form-data", multipartFields, ""},
		{"text/plain", "username=alice", ""},
		{"", `{"username":"alice"}`, ""},
	} {
		c, _ := testContext(tc.ct, tc.body)
		got := ""
		if b, err := Of(c); err == nil {
			got = b.String("username")
		}
		if got != tc.want {
			t.Errorf("%q %q: String = %q, want %q", tc.ct, tc.body, got, tc.want)
		}
	}
}

// TestOfDecodesOnce: the second reader of a request (the handler, after a
// throttle guard) gets the decoded value of the first, without touching the
// body again, whatever the encoding.
func TestOfDecodesOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ ct, body string }{
		{"application/json", `{"username":"alice"}`},
		{"application/x-www-form-urlencoded", "username=alice"},
		{"multipart/form-data; boundary=B", strings.ReplaceAll(multipartFields, "multi", "alice")},
	} {
		c, cb := testContext(tc.ct, tc.body)
		first, err := Of(c)
		if err != nil {
			t.Fatalf("%s: %v", tc.ct, err)
		}
		read := cb.n
		second, err := Of(c)
		if err != nil || second != first {
			t.Fatalf("%s: second call gave %p, %v; want the first decode %p", tc.ct, second, err, first)
		}
		if cb.n != read || read != len(tc.body) {
			t.Errorf("%s: body read %d bytes, then %d; want %d once", tc.ct, read, cb.n, len(tc.body))
		}
		if got := second.String("username"); got != "alice" {
			t.Errorf("%s: username %q", tc.ct, got)
		}
	}
}

// TestOfErrorIsKept: a body that does not decode gives every reader the
// same answer; over the body limit that is the 413, not an empty body.
func TestOfErrorIsKept(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ct, body string
		limit    int64
		want     int
	}{
		{"application/json", `{"username":"alice"}`, 8, http.StatusRequestEntityTooLarge},
		{"application/x-www-form-urlencoded", "username=alice", 8, http.StatusRequestEntityTooLarge},
		{"text/plain", "username=alice", 1 << 20, http.StatusUnsupportedMediaType},
		{"application/json", `[1]`, 1 << 20, http.StatusBadRequest},
	} {
		c, _ := testContext(tc.ct, tc.body)
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, tc.limit)
		for i := range 2 {
			b, err := Of(c)
			var e *apierr.Error
			if b != nil || !errors.As(err, &e) || e.Status != tc.want {
				t.Errorf("%s %q call %d: %v, %v; want status %d", tc.ct, tc.body, i+1, b, err, tc.want)
			}
		}
	}
}
