package middleware_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"authsvc/middleware"
	"authsvc/reqbody"
	"authsvc/throttle"
)

// bodyEncodings build a body holding one username, as clients send logins.
var bodyEncodings = []struct {
	name  string
	build func(user string) (io.Reader, string)
}{
	{"json", func(u string) (io.Reader, string) {
		return strings.NewReader(`{"username":"` + u + `","password":"x"}`), "application/json"
	}},
	{"form", func(u string) (io.Reader, string) {
		return strings.NewReader(url.Values{"username": {u}, "password": {"x"}}.Encode()), "application/x-www-form-urlencoded"
	}},
	{"multipart", func(u string) (io.Reader, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.WriteField("username", u)
		_ = w.WriteField("password", "x")
		w.Close()
		return &b, w.FormDataContentType()
	}},
}

// unreadable is a request body that fails the test when read.
type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("the body was read again after the throttle guard decoded it")
	return 0, io.EOF
}

// bodyGuardedEngine is a route behind a guard keyed by the body's username
// (one request per name an hour), whose handler answers the username it
// binds. Between the two the request body is swapped for one that fails the
// test when read: a handler that decoded the body a second time (as when
// the guard put the bytes back for it) would read it. keyed records the
// names the guard counted, before normalising.
func bodyGuardedEngine(t *testing.T, limit int64, keyed *[]string) http.Handler {
	now := func() time.Time { return time.Unix(1e9, 0) }
	th := &middleware.Throttle{Limiter: throttle.NewMemory(now, 0), Now: now}
	policy := throttle.Policy{
		Name: "test", PerSubject: throttle.Rule{Limit: 1, Window: time.Hour}, Field: "username",
		Normalize: func(v string) string { *keyed = append(*keyed, v); return strings.ToLower(v) },
	}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.POST("/", middleware.BodyLimit(limit, nil), th.Guard(policy),
		func(c *gin.Context) { c.Request.Body = io.NopCloser(unreadable{t}) },
		func(c *gin.Context) {
			b, err := reqbody.Of(c)
			if err != nil {
				middleware.RenderError(c, err)
				return
			}
			c.String(http.StatusOK, b.String("username"))
		})
	return r
}

func postBody(h http.Handler, body io.Reader, contentType string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/", body)
	req.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestThrottleAndHandlerShareOneDecode: the guard keys the request by the
// username of the one decode the handler binds, in every encoding.
func TestThrottleAndHandlerShareOneDecode(t *testing.T) {
	t.Parallel()
	for _, enc := range bodyEncodings {
		t.Run(enc.name, func(t *testing.T) {
			t.Parallel()
			var keyed []string
			h := bodyGuardedEngine(t, middleware.DefaultBodyLimit, &keyed)
			for _, tc := range []struct {
				user string
				want int
			}{{"Alice", http.StatusOK}, {"alice", http.StatusTooManyRequests}, {"bob", http.StatusOK}} {
				body, contentType := enc.build(tc.user)
				w := postBody(h, body, contentType)
				if w.Code != tc.want || (tc.want == http.StatusOK && w.Body.String() != tc.user) {
					t.Errorf("%s: %d %q, want %d", tc.user, w.Code, w.Body, tc.want)
				}
			}
			if want := []string{"Alice", "alice", "bob"}; !slices.Equal(keyed, want) {
				t.Errorf("guard keyed %q, want %q", keyed, want)
			}
		})
	}
}

// TestThrottleLeavesBodyErrorsToHandler: a body the guard cannot decode is
// keyed by nothing, and the handler answers its error (not an empty body).
func TestThrottleLeavesBodyErrorsToHandler(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, contentType string
		want                    int
	}{
		{"over the limit", `{"username":"alice","password":"` + strings.Repeat("x", 64) + `"}`, "application/json", http.StatusRequestEntityTooLarge},
		{"unsupported type", "username=alice", "text/plain", http.StatusUnsupportedMediaType},
		{"not an object", `["alice"]`, "application/json", http.StatusBadRequest},
	} {
		var keyed []string
		h := bodyGuardedEngine(t, 32, &keyed)
		// Without a length the body limit is met while reading, not from
		// Content-Length before the guard.
		w := postBody(h, io.MultiReader(strings.NewReader(tc.body)), tc.contentType)
		if w.Code != tc.want || len(keyed) != 0 {
			t.Errorf("%s: %d %s, keyed %q; want %d keyed by nothing", tc.name, w.Code, w.Body, keyed, tc.want)
		}
	}
}
