package middleware

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"authsvc/apierr"
)

// DefaultBodyLimit is the contract's 1 MiB.
const DefaultBodyLimit = 1 << 20

// BodyLimit caps request bodies at limit bytes, or at the override for the
// route (Gin's full path) when one is given (picture uploads). A declared
// Content-Length over the cap is refused at once; a chunked body is capped by
// http.MaxBytesReader, whose error the body decoders turn into the same 413.
func BodyLimit(limit int64, overrides map[string]int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		n := limit
		if o, ok := overrides[c.FullPath()]; ok {
			n = o
		}
		if c.Request.ContentLength > n {
			// The rest of the body is not read; closing the connection
			// stops the client from sending megabytes we will discard.
			c.Header("Connection", "close")
			RenderError(c, apierr.TooLarge)
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}
