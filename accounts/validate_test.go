package accounts

import (
	"strings"
	"testing"
)

// TestCleanText: what CleanText returns is always Storable, NUL bytes are
// dropped and invalid UTF-8 becomes U+FFFD; storable text is unchanged.
func TestCleanText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Mozilla/5.0 (X11)": "Mozilla/5.0 (X11)",
		"curl\x00/8":        "curl/8",
		"a\xffb":            "a\uFFFDb",
		"\xed\xa0\x80x":     "\uFFFDx", // an encoded surrogate
		"\x00\xc0\xaf":      "\uFFFD",  // overlong '/', one run of invalid bytes
		"héllo ✓":           "héllo ✓",
	} {
		got := CleanText(in)
		if got != want || !Storable(got) {
			t.Errorf("CleanText(%q) = %q (storable %v), want %q", in, got, Storable(got), want)
		}
	}
	for _, bad := range []string{"a\x00", "\xff", "\xed\xa0\x80"} {
		if Storable(bad) {
			t.Errorf("Storable(%q) = true", bad)
		}
	}
}

// TestEmailErrorUnstorable: the Django import reads emails straight from a
// database, so invalid UTF-8 and NUL must be refused here, not by
// PostgreSQL.
func TestEmailErrorUnstorable(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a\xff@example.com": "Enter a valid email address.",
		"a@exa\xc3mple.com": "Enter a valid email address.",
		"a\x00@example.com": NullChars,
		"a@example.com":     "",
	} {
		if got := emailError(in); got != want {
			t.Errorf("emailError(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUsernameKeyFitsColumn: a name of 150 characters whose case fold is
// longer ("ß" folds to "ss") would overflow the 150-character key column
// (an error on PostgreSQL), so it is refused as too long.
func TestUsernameKeyFitsColumn(t *testing.T) {
	t.Parallel()
	long := "Ensure this field has no more than 150 characters."
	for name, want := range map[string]string{
		strings.Repeat("ß", 150): long,
		strings.Repeat("ß", 75):  "",
		strings.Repeat("a", 150): "",
		strings.Repeat("A", 150): "",
	} {
		if got := usernameError(name); got != want {
			t.Errorf("usernameError(%d × %q) = %q, want %q", len([]rune(name)), []rune(name)[0], got, want)
		}
	}
}
