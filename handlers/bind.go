package handlers

import (
	"encoding/json"
	"mime/multipart"

	"github.com/gin-gonic/gin"

	"authsvc/accounts"
	"authsvc/reqbody"
)

// body is the request's decoded body (reqbody), read into request structs
// that hold only writable fields: nothing is bound into a model.
type body struct {
	d *reqbody.Body
	// json and files are d's JSON object (nil for a form) and multipart
	// file parts, for the fields that are not strings.
	json  map[string]json.RawMessage
	files map[string][]*multipart.FileHeader
}

// readBody returns the request body, decoded by its Content-Type only once
// per request: a throttle guard that keyed the request by a body field has
// decoded it already. An empty body is an empty object whatever the type;
// any other type is 415.
func readBody(c *gin.Context) (*body, error) {
	d, err := reqbody.Of(c)
	if err != nil {
		return nil, err
	}
	return &body{d: d, json: d.JSON(), files: d.Files()}, nil
}

// fieldStates maps reqbody's states onto the account service's.
var fieldStates = [...]accounts.FieldState{
	reqbody.Missing:   accounts.Missing,
	reqbody.Present:   accounts.Present,
	reqbody.Null:      accounts.Null,
	reqbody.NotString: accounts.NotString,
}

// field returns a string field and how it arrived.
func (b *body) field(name string) accounts.Field {
	v, st := b.d.Field(name)
	return accounts.Field{Value: v, State: fieldStates[st]}
}

// has reports whether the body names the field at all.
func (b *body) has(name string) bool { return b.field(name).State != accounts.Missing }
