package handlers_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"authsvc/internal/testserver"
)

// hostileValue is one way to get a string the database cannot store into a
// field: PostgreSQL refuses NUL in text and invalid UTF-8 anywhere.
type hostileValue struct {
	name string
	// body encodes fields (every value a string) with value in place of
	// the field named bad, and returns the body and its Content-Type.
	body func(fields map[string]string, bad, value string) (io.Reader, string)
	// value is what replaces the field.
	value string
}

func jsonBody(fields map[string]string, bad, value string) (io.Reader, string) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for k, v := range fields {
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%q:", k)
		if k == bad {
			// Raw bytes inside the quotes: "\xff" stays an invalid byte,
			// and a NUL is sent as the escape \u0000 (a raw control byte
			// is a JSON syntax error, which is not what is tested here).
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(value, "\x00", `\u0000`))
			b.WriteByte('"')
			continue
		}
		fmt.Fprintf(&b, "%q", v)
	}
	b.WriteByte('}')
	return &b, "application/json"
}

// jsonRawBody puts value into the JSON body as it is, unquoted: numbers,
// nesting, literals.
func jsonRawBody(fields map[string]string, bad, value string) (io.Reader, string) {
	var b bytes.Buffer
	b.WriteByte('{')
	for k, v := range fields {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		if k == bad {
			fmt.Fprintf(&b, "%q:%s", k, value)
			continue
		}
		fmt.Fprintf(&b, "%q:%q", k, v)
	}
	b.WriteByte('}')
	return &b, "application/json"
}

func formBody(fields map[string]string, bad, value string) (io.Reader, string) {
	vals := url.Values{}
	for k, v := range fields {
		if k == bad {
			v = value
		}
		vals.Set(k, v)
	}
	return strings.NewReader(vals.Encode()), "application/x-www-form-urlencoded"
}

func multipartBody(fields map[string]string, bad, value string) (io.Reader, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if k == bad {
			v = value
		}
		_ = w.WriteField(k, v)
	}
	w.Close()
	return &b, w.FormDataContentType()
}

var hostileValues = []hostileValue{
	{"JSON NUL", jsonBody, "ab\x00cd"},
	{"JSON invalid UTF-8", jsonBody, "ab\xffcd"},
	{"JSON overlong UTF-8", jsonBody, "ab\xc0\xafcd"},
	{"form NUL", formBody, "ab\x00cd"},
	{"form invalid UTF-8", formBody, "ab\xffcd"},
	{"multipart NUL", multipartBody, "ab\x00cd"},
	{"multipart invalid UTF-8", multipartBody, "ab\xfe\xffcd"},
	{"huge exponent", jsonRawBody, "1e999999"},
	{"huge integer", jsonRawBody, strings.Repeat("9", 5000)},
	{"negative zero", jsonRawBody, "-0"},
	{"deep arrays", jsonRawBody, strings.Repeat("[", 20000) + strings.Repeat("]", 20000)},
	{"deep objects", jsonRawBody, strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)},
	{"object", jsonRawBody, `{"x":"y"}`},
	{"boolean", jsonRawBody, "true"},
	{"lone surrogate escape", jsonRawBody, `"\ud800x"`},
	{"escaped NUL only", jsonRawBody, `"\u0000"`},
}

// wantNo5xx fails on a server error or an answer that is not JSON.
func wantNo5xx(t *testing.T, r *testserver.Response) {
	t.Helper()
	if r.Status >= 500 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if len(r.Body) > 0 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d with Content-Type %q: %q", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
}
