package tokens

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	errTimeNotNumber = errors.New("exp, nbf and iat must be JSON numbers")
	errTimeRange     = errors.New("exp, nbf and iat must be between 0 and year 9999")
)

// maxNumericDate is 9999-12-31T23:59:59Z. Beyond it (and below 0) a date is
// no time we ever issue, and far beyond it the seconds no longer fit in an
// int64: golang-jwt converts the float unchecked, so "iat": 1e19 wrapped
// round to a date in the distant past and passed the iat and nbf checks.
const maxNumericDate = 253402300799

// Date is a NumericDate that must arrive as a JSON number. golang-jwt
// decodes its NumericDate through json.Number, which also takes a quoted
// number ("exp": "9999999999"); RFC 7519 says NumericDate is a number, and a
// token that bends the type is not one we issued. Checking here, while the
// claims are decoded, costs nothing extra on the verify path.
type Date struct{ jwt.NumericDate }

// NewDate rounds t the way NumericDate does.
func NewDate(t time.Time) *Date { return &Date{*jwt.NewNumericDate(t)} }

// UnmarshalJSON refuses anything but a JSON number, and numbers outside
// [0, year 9999]. (A JSON null never gets here: it leaves the pointer nil,
// the same as an absent claim.) It converts the way golang-jwt does
// (seconds with a fraction, truncated to its precision), once the range is
// known to be safe; encoding/json has already checked the number's syntax.
func (d *Date) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return errTimeNotNumber
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || !(f >= 0 && f <= maxNumericDate) { // also catches NaN
		return errTimeRange
	}
	sec, frac := math.Modf(f)
	d.NumericDate = *jwt.NewNumericDate(time.Unix(int64(sec), int64(frac*1e9)))
	return nil
}

func (d *Date) numeric() *jwt.NumericDate {
	if d == nil {
		return nil
	}
	return &d.NumericDate
}
