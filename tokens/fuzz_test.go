package tokens

import (
	"errors"
	"testing"
	"time"
)

// fuzzNow is fixed so that committed corpus entries signed at this time stay
// valid forever.
var fuzzNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const fuzzSecret = "fuzz-secret-fuzz-secret-fuzz-secret-0123456789"

func fuzzService(tb testing.TB) *Service {
	s, err := New(Options{Keys: NewKeySet(NewHMACKey([]byte(fuzzSecret))), Issuer: "iss", Audience: "aud",
		Leeway: 5 * time.Second, Now: func() time.Time { return fuzzNow }})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func FuzzVerify(f *testing.F) {
	s := fuzzService(f)
	for _, typ := range []string{TypeAccess, TypeRefresh} {
		tok, err := s.Sign(Spec{Type: typ, UserID: 7, SessionID: "sid", ID: "jti", Username: "u",
			IssuedAt: fuzzNow, ExpiresAt: fuzzNow.Add(time.Hour)})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok, typ)
		f.Add(tok, "")
		f.Add(tok+"x", typ)
		f.Add(tok[:len(tok)-1], typ)
	}
	f.Add("a.b.c", "")
	f.Add("..", "")
	f.Add("eyJhbGciOiJub25lIn0.e30.", "")
	f.Fuzz(func(t *testing.T, raw, want string) {
		c, err := s.Verify(raw, want)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrWrongType) {
				t.Fatalf("error %v is neither ErrInvalid nor ErrWrongType", err)
			}
			if c != nil {
				t.Fatal("claims returned with an error")
			}
			return
		}
		// Anything accepted must look exactly like a token we issue.
		if len(raw) > MaxTokenBytes || c.UserID <= 0 || c.SessionID == "" || c.ID == "" || c.ExpiresAt == nil ||
			!fuzzNow.Before(c.ExpiresAt.Add(5*time.Second)) || c.Issuer != "iss" {
			t.Fatalf("accepted a token we would not issue: %+v", c)
		}
		if want != "" && c.TokenType != want {
			t.Fatalf("type %q accepted for %q", c.TokenType, want)
		}
	})
}
