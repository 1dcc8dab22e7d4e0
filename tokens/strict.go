package tokens

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var errTimeNotNumber = errors.New("exp, nbf and iat must be JSON numbers")

// Date is a NumericDate that must arrive as a JSON number. golang-jwt
// decodes its NumericDate through json.Number, which also takes a quoted
// number ("exp": "9999999999"); RFC 7519 says NumericDate is a number, and a
// token that bends the type is not one we issued. Checking here, while the
// claims are decoded, costs nothing extra on the verify path.
type Date struct{ jwt.NumericDate }

// NewDate rounds t the way NumericDate does.
func NewDate(t time.Time) *Date { return &Date{*jwt.NewNumericDate(t)} }

// UnmarshalJSON refuses anything but a JSON number. (A JSON null never gets
// here: it leaves the pointer nil, the same as an absent claim.)
func (d *Date) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return errTimeNotNumber
	}
	return d.NumericDate.UnmarshalJSON(b)
}

func (d *Date) numeric() *jwt.NumericDate {
	if d == nil {
		return nil
	}
	return &d.NumericDate
}
