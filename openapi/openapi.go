// Package openapi holds the service's OpenAPI 3.1 document, embedded in the
// binary and served at /openapi.json. The handler tests validate every
// response against it (internal/testserver), so it cannot drift from the code.
package openapi

import (
	_ "embed"

	"github.com/gin-gonic/gin"
)

// Document is the OpenAPI document as JSON.
//
//go:embed openapi.json
var Document []byte

// Serve answers GET /openapi.json.
func Serve(c *gin.Context) {
	c.Data(200, "application/json; charset=utf-8", Document)
}
