package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"authsvc/accounts"
	"authsvc/apierr"
)

// body is a decoded request body: JSON, form or multipart. Fields are read by
// exact name into request structs that hold only writable fields; nothing is
// bound into a model, and Go's case-insensitive JSON matching never applies
// (a body with "Is_Staff" sets nothing).
type body struct {
	json   map[string]json.RawMessage
	values url.Values
	files  map[string][]*multipart.FileHeader
}

// maxMultipartMemory is how much of a multipart body is held in memory
// before parts spill to temporary files.
const maxMultipartMemory = 4 << 20

// readBody decodes the request body by its Content-Type. An empty body is an
// empty object whatever the type; any other type is 415.
func readBody(c *gin.Context) (*body, error) {
	raw := c.GetHeader("Content-Type")
	if raw == "" {
		b, err := io.ReadAll(c.Request.Body)
		if err != nil {
			return nil, readErr(err)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return &body{}, nil
		}
		return nil, apierr.UnsupportedMedia("")
	}
	mt := raw
	if raw != "application/json" { // the common case needs no parsing
		var err error
		if mt, _, err = mime.ParseMediaType(raw); err != nil {
			return nil, apierr.UnsupportedMedia(raw)
		}
	}
	switch {
	case mt == "application/json" || (len(mt) > 5 && mt[len(mt)-5:] == "+json"):
		b, err := io.ReadAll(c.Request.Body)
		if err != nil {
			return nil, readErr(err)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return &body{}, nil
		}
		// Go's decoder would quietly turn invalid UTF-8 into U+FFFD; DRF
		// refuses the body (its decoder raises), and PostgreSQL could not
		// store such text anyway.
		if !utf8.Valid(b) {
			return nil, apierr.Parse(fmt.Sprintf("JSON parse error - invalid UTF-8 (at byte %d)", invalidUTF8At(b)))
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				return nil, apierr.NonField(fmt.Sprintf("Invalid data. Expected a dictionary, but got %s.", typeErr.Value))
			}
			return nil, apierr.Parse("JSON parse error - " + jsonErrorText(err))
		}
		if m == nil { // the body was the literal null
			return nil, apierr.NonField("Invalid data. Expected a dictionary, but got null.")
		}
		return &body{json: m}, nil
	case mt == "application/x-www-form-urlencoded":
		if err := c.Request.ParseForm(); err != nil {
			return nil, readErr(err)
		}
		if err := validForm(c.Request.PostForm); err != nil {
			return nil, err
		}
		return &body{values: c.Request.PostForm}, nil
	case mt == "multipart/form-data":
		if err := c.Request.ParseMultipartForm(maxMultipartMemory); err != nil {
			return nil, readErr(err)
		}
		f := c.Request.MultipartForm
		if err := validForm(f.Value); err != nil {
			return nil, err
		}
		return &body{values: f.Value, files: f.File}, nil
	}
	return nil, apierr.UnsupportedMedia(mt)
}

// invalidUTF8At is the offset of the first byte of b that is not valid UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// validForm refuses form text that is not UTF-8 (a percent-encoded %FF, or
// raw bytes in a multipart part): as in a JSON body, such text is a 400, never
// something to store (PostgreSQL would refuse it with a server error).
func validForm(v url.Values) error {
	for k, vs := range v {
		if !utf8.ValidString(k) {
			return apierr.Parse("Form data is not valid UTF-8.")
		}
		for _, s := range vs {
			if !utf8.ValidString(s) {
				return apierr.Parse("Form data is not valid UTF-8.")
			}
		}
	}
	return nil
}

// jsonErrorText is the decoder's message without anything from the body.
func jsonErrorText(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%s (at byte %d)", syn.Error(), syn.Offset)
	}
	return "invalid JSON"
}

func readErr(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return apierr.TooLarge
	}
	if errors.Is(err, multipart.ErrMessageTooLarge) {
		return apierr.TooLarge
	}
	return apierr.Parse("Malformed request body.").WithCause(err)
}

// field returns a string field and how it arrived.
func (b *body) field(name string) accounts.Field {
	if b.json != nil {
		raw, ok := b.json[name]
		if !ok {
			return accounts.Field{State: accounts.Missing}
		}
		if string(bytes.TrimSpace(raw)) == "null" {
			return accounts.Field{State: accounts.Null}
		}
		if s, ok := plainString(raw); ok {
			return accounts.Field{Value: s, State: accounts.Present}
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return accounts.Field{State: accounts.NotString}
		}
		return accounts.Field{Value: s, State: accounts.Present}
	}
	if vs, ok := b.values[name]; ok && len(vs) > 0 {
		return accounts.Field{Value: vs[0], State: accounts.Present}
	}
	return accounts.Field{State: accounts.Missing}
}

// plainString is the value of a JSON string with nothing to unescape (a
// token, a username): the common case, without a second pass of the JSON
// decoder. The body is valid JSON and UTF-8 by now, so a quote at each end
// and no backslash inside is the whole check.
func plainString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' || bytes.IndexByte(raw, '\\') >= 0 {
		return "", false
	}
	return string(raw[1 : len(raw)-1]), true
}

// has reports whether the body names the field at all.
func (b *body) has(name string) bool { return b.field(name).State != accounts.Missing }
