package accounts

import "authsvc/apierr"

// FieldState says how a field arrived in the request body.
type FieldState uint8

const (
	Missing   FieldState = iota // not in the body
	Present                     // a string (possibly empty)
	Null                        // JSON null
	NotString                   // a number, object, list or boolean
)

// Field is one string field of a request, with how it arrived, so that the
// rules here can answer in DRF's words (required, blank, null, not a string).
type Field struct {
	Value string
	State FieldState
}

// Str makes a present field (tests and internal callers).
func Str(s string) Field { return Field{Value: s, State: Present} }

// required returns the value of a field that must be a non-blank string.
func required(v *apierr.Validation, name string, f Field) (string, bool) {
	switch f.State {
	case Missing:
		v.Add(name, "This field is required.")
	case Null:
		v.Add(name, "This field may not be null.")
	case NotString:
		v.Add(name, "Not a valid string.")
	default:
		if f.Value == "" {
			v.Add(name, "This field may not be blank.")
			return "", false
		}
		return f.Value, true
	}
	return "", false
}

// optional returns the value of a field that may be absent or blank (null
// counts as blank, as for DRF's allow_null fields). set is false when absent.
func optional(v *apierr.Validation, name string, f Field) (value string, set, ok bool) {
	switch f.State {
	case Missing:
		return "", false, true
	case Null:
		return "", true, true
	case NotString:
		v.Add(name, "Not a valid string.")
		return "", true, false
	}
	return f.Value, true, true
}
