package passwords

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// MinLength and MaxBytes bound a password. The upper bound keeps one request
// from feeding megabytes into the hash; nothing is ever truncated.
const (
	MinLength = 8
	MaxBytes  = 1024
)

// commonPasswords is Django's list of 20,000 common passwords
// (django/contrib/auth/common-passwords.txt.gz, BSD licence, from Debian's
// python3-django package), the same list the stack we replace checks.
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

// Policy checks a candidate password. It is safe for concurrent use; the
// common-password list is loaded on first use.
type Policy struct {
	once   sync.Once
	common map[string]struct{}
}

// NewPolicy returns the default policy.
func NewPolicy() *Policy { return &Policy{} }

func (p *Policy) load() {
	p.common = make(map[string]struct{}, 20000)
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic(fmt.Sprintf("passwords: embedded list is corrupt: %v", err)) // build-time asset
	}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			p.common[strings.ToLower(w)] = struct{}{}
		}
	}
}

// Check returns the policy violations of password for a user with the given
// username and email, in Django's wording; nil means acceptable.
func (p *Policy) Check(password, username, email string) []string {
	if len(password) > MaxBytes {
		return []string{fmt.Sprintf("Ensure this field has no more than %d bytes.", MaxBytes)}
	}
	var msgs []string
	if utf8.RuneCountInString(password) < MinLength {
		msgs = append(msgs, fmt.Sprintf("This password is too short. It must contain at least %d characters.", MinLength))
	}
	if isAllDigits(password) {
		msgs = append(msgs, "This password is entirely numeric.")
	}
	p.once.Do(p.load)
	if _, ok := p.common[strings.ToLower(strings.TrimSpace(password))]; ok {
		msgs = append(msgs, "This password is too common.")
	}
	if attr := similarAttribute(password, username, email); attr != "" {
		msgs = append(msgs, fmt.Sprintf("The password is too similar to the %s.", attr))
	}
	return msgs
}

func isAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// similarityThreshold is Django's UserAttributeSimilarityValidator default.
const similarityThreshold = 0.7

// similarAttribute names the user attribute the password is too close to, or
// "". Like Django, it compares against the whole value and its parts split on
// non-word characters, and a password containing the value counts as similar.
func similarAttribute(password, username, email string) string {
	pw := strings.ToLower(password)
	for _, a := range []struct{ name, value string }{{"username", username}, {"email address", email}} {
		v := strings.ToLower(a.value)
		if v == "" {
			continue
		}
		parts := append([]string{v}, strings.FieldsFunc(v, func(r rune) bool {
			return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 127)
		})...)
		for _, part := range parts {
			if utf8.RuneCountInString(part) < 4 {
				continue
			}
			if strings.Contains(pw, part) || ratio(pw, part) >= similarityThreshold {
				return a.name
			}
		}
	}
	return ""
}

// ratio is 1 - edit distance / longer length, in runes.
func ratio(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 && len(rb) == 0 {
		return 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return 1 - float64(prev[len(rb)])/float64(max(len(ra), len(rb)))
}
