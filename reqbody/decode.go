package reqbody

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

	"authsvc/apierr"
)

// maxMultipartMemory is how much of a multipart body is held in memory
// before parts spill to temporary files.
const maxMultipartMemory = 4 << 20

// decode reads the request body by its Content-Type. An empty body is an
// empty object whatever the type; any other type is 415.
func decode(c *gin.Context) (*Body, error) {
	raw := c.GetHeader("Content-Type")
	if raw == "" {
		b, err := readAll(c.Request)
		if err != nil {
			return nil, readErr(err)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return &Body{}, nil
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
		return decodeJSON(c.Request)
	case mt == "application/x-www-form-urlencoded":
		if err := c.Request.ParseForm(); err != nil {
			return nil, readErr(err)
		}
		if err := validForm(c.Request.PostForm); err != nil {
			return nil, err
		}
		return &Body{values: c.Request.PostForm}, nil
	case mt == "multipart/form-data":
		// File parts stay as they are parsed (in memory up to the limit,
		// then temporary files), never copied: a picture handler opens the
		// part itself.
		if err := c.Request.ParseMultipartForm(maxMultipartMemory); err != nil {
			return nil, readErr(err)
		}
		f := c.Request.MultipartForm
		if err := validForm(f.Value); err != nil {
			return nil, err
		}
		return &Body{values: f.Value, files: f.File}, nil
	}
	return nil, apierr.UnsupportedMedia(mt)
}

// readAll reads the whole body; a request built without one has none.
func readAll(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	return io.ReadAll(r.Body)
}

// decodeJSON reads a JSON body, which must be an object.
func decodeJSON(r *http.Request) (*Body, error) {
	b, err := readAll(r)
	if err != nil {
		return nil, readErr(err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return &Body{}, nil
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
	return &Body{json: m}, nil
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

// readErr is the answer to a body that could not be read: 413 past the body
// limit (http.MaxBytesReader's error, set by middleware.BodyLimit), 400
// otherwise.
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
