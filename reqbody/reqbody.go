// Package reqbody decodes a request body once per request. The first to ask
// (a throttle guard keyed by a body field, or the handler binding its input)
// reads and decodes the body by its Content-Type; everyone after gets the
// same decoded value, or the same error, from the gin context. So the
// throttle counts the very username the handler binds, and no body is read
// into memory twice.
package reqbody

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/url"

	"github.com/gin-gonic/gin"
)

// Body is a decoded request body: a JSON object, or the fields (and, for
// multipart, the file parts) of a form. It is shared by everyone who reads
// the request, so it is read-only.
type Body struct {
	json   map[string]json.RawMessage
	values url.Values
	files  map[string][]*multipart.FileHeader
	err    error // the decoding error every reader gets
}

// key is the gin context key of the request's *Body; a type of its own, so
// no other package's key can collide with it.
type key struct{}

// Of returns the request's decoded body, decoding it on the first call. An
// error (400, 413, 415) is the same on every call. Requests that no one
// asks about (a GET with a bearer token) cost nothing.
func Of(c *gin.Context) (*Body, error) {
	if v, ok := c.Get(key{}); ok {
		b := v.(*Body)
		if b.err != nil {
			return nil, b.err
		}
		return b, nil
	}
	b, err := decode(c)
	if err != nil {
		c.Set(key{}, &Body{err: err})
		return nil, err
	}
	c.Set(key{}, b)
	return b, nil
}

// JSON is the object of a JSON body; nil for a form.
func (b *Body) JSON() map[string]json.RawMessage { return b.json }

// Files are the file parts of a multipart body, by field name.
func (b *Body) Files() map[string][]*multipart.FileHeader { return b.files }

// State says how a field arrived.
type State uint8

const (
	Missing   State = iota // not in the body
	Present                // a string (possibly empty)
	Null                   // JSON null
	NotString              // a number, object, list or boolean
)

// Field returns a string field and how it arrived. Fields are read by exact
// name: Go's case-insensitive JSON matching never applies (a body with
// "Is_Staff" sets nothing). A form field's first value counts.
func (b *Body) Field(name string) (string, State) {
	if b.json != nil {
		raw, ok := b.json[name]
		if !ok {
			return "", Missing
		}
		if string(bytes.TrimSpace(raw)) == "null" {
			return "", Null
		}
		if s, ok := plainString(raw); ok {
			return s, Present
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", NotString
		}
		return s, Present
	}
	if vs, ok := b.values[name]; ok && len(vs) > 0 {
		return vs[0], Present
	}
	return "", Missing
}

// String is the value of a string field; "" for anything else.
func (b *Body) String(name string) string {
	if s, st := b.Field(name); st == Present {
		return s
	}
	return ""
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
