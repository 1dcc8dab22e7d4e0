package middleware

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// maxFieldBytes bounds one multipart value read by BodyField.
const maxFieldBytes = 4 << 10

// BodyField returns the string field name of the request body (JSON, form or
// multipart) without consuming it: the bytes are put back for the handler,
// together with any read error (a body over the limit still reaches the
// handler as the same 413). Anything that is not a string field answers "".
func BodyField(c *gin.Context, name string) string {
	if c.Request.Body == nil {
		return ""
	}
	b, err := io.ReadAll(c.Request.Body)
	var rest io.Reader = bytes.NewReader(b)
	if err != nil {
		rest = io.MultiReader(rest, errReader{err})
	}
	c.Request.Body = io.NopCloser(rest)
	if err != nil {
		return ""
	}
	return fieldOf(c.GetHeader("Content-Type"), b, name)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// fieldOf decodes body by content type and returns the string field name.
func fieldOf(contentType string, body []byte, name string) string {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil {
			return ""
		}
		var s string
		if json.Unmarshal(m[name], &s) != nil {
			return ""
		}
		return s
	case mt == "application/x-www-form-urlencoded":
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return ""
		}
		return v.Get(name)
	case mt == "multipart/form-data":
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			part, err := r.NextPart()
			if err != nil {
				return ""
			}
			if part.FormName() == name && part.FileName() == "" {
				v, err := io.ReadAll(io.LimitReader(part, maxFieldBytes))
				if err != nil && !errors.Is(err, io.EOF) {
					return ""
				}
				return string(v)
			}
		}
	}
	return ""
}
