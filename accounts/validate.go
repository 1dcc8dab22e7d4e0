package accounts

import (
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

const (
	maxUsername = 150
	maxEmail    = 254
	maxBio      = 500
	maxPicture  = 2048
)

var folder = cases.Fold()

// NormalizeUsername applies NFKC, so that visually identical spellings (full-
// width letters, ligatures) become one name.
func NormalizeUsername(s string) string { return norm.NFKC.String(s) }

// UsernameKey is the uniqueness key of a (normalised) username: its case fold,
// NFKC-normalised again because folding can denormalise.
func UsernameKey(s string) string { return norm.NFKC.String(folder.String(NormalizeUsername(s))) }

// emailKey is the uniqueness key of an email address.
func emailKey(s string) string { return strings.ToLower(s) }

// usernameError returns Django's message for an invalid (normalised) name.
func usernameError(name string) string {
	if name == "" {
		return "This field may not be blank."
	}
	if utf8.RuneCountInString(name) > maxUsername {
		return "Ensure this field has no more than 150 characters."
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || strings.ContainsRune("@.+-_", r)) {
			return "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
		}
	}
	// Case folding can lengthen a name ("ß" folds to "ss"); the key column
	// holds 150 characters too, and PostgreSQL refuses a longer value with
	// an error where SQLite would quietly store it.
	if utf8.RuneCountInString(UsernameKey(name)) > maxUsername {
		return "Ensure this field has no more than 150 characters."
	}
	return ""
}

// NullChars is DRF's CharField message for text holding NUL, which
// PostgreSQL cannot store in a text column.
const NullChars = "Null characters are not allowed."

// Storable reports whether s can be stored in (or compared with) a text
// column on every supported database: valid UTF-8 without NUL bytes.
// PostgreSQL refuses anything else with an error, so a value that fails this
// must be answered before it reaches a query.
func Storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// CleanText makes s storable: NUL bytes dropped, invalid UTF-8 replaced by
// U+FFFD. For text the client does not choose on purpose (its User-Agent).
func CleanText(s string) string {
	if Storable(s) {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

func emailError(email string) string {
	if strings.IndexByte(email, 0) >= 0 {
		return NullChars
	}
	if len(email) > maxEmail {
		return "Ensure this field has no more than 254 characters."
	}
	a, err := mail.ParseAddress(email)
	if err != nil || !utf8.ValidString(email) || a.Address != email || a.Name != "" {
		return "Enter a valid email address."
	}
	at := strings.LastIndexByte(email, '@')
	if at < 1 || at == len(email)-1 || strings.ContainsAny(email, " \t\r\n") {
		return "Enter a valid email address."
	}
	return ""
}

func bioError(bio string) string {
	if strings.IndexByte(bio, 0) >= 0 {
		return NullChars
	}
	if utf8.RuneCountInString(bio) > maxBio {
		return "Ensure this field has no more than 500 characters."
	}
	return ""
}

// pictureURLError accepts an absolute http(s) URL; anything else (javascript:,
// data:, relative paths) could be turned against whoever renders it.
func pictureURLError(s string) string {
	if len(s) > maxPicture {
		return "Ensure this field has no more than 2048 characters."
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t\r\n") {
		return "Enter a valid URL."
	}
	return ""
}
