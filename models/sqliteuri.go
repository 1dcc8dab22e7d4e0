package models

import (
	"path/filepath"
	"strings"
)

// SQLiteURI turns a file path into the "file:" URI the SQLite driver opens,
// with query (already URI-encoded, without "?") appended. SQLite decodes
// %HH escapes in the path and ends it at the first '?' or '#', so a path
// spliced in raw would be cut at those characters (or have a '%' sequence
// decoded): every byte outside the unreserved set and '/' is escaped. An
// absolute path gets the empty authority ("file:///…") so that a path
// starting with "//" is not read as a host name.
func SQLiteURI(path, query string) string {
	var b strings.Builder
	b.WriteString("file:")
	if filepath.IsAbs(path) {
		b.WriteString("//")
	}
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == '/' || c == '-' || c == '.' || c == '_' || c == '~' ||
			'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	if query != "" {
		b.WriteByte('?')
		b.WriteString(query)
	}
	return b.String()
}
