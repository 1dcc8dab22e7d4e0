package tokens_test

import (
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"authsvc/tokens"
)

func newService(t *testing.T, now time.Time) (*tokens.Service, *tokens.Key) {
	t.Helper()
	k := tokens.NewHMACKey([]byte("unit-test-secret-unit-test-secret-0123"))
	s, err := tokens.New(tokens.Options{Keys: tokens.NewKeySet(k), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return s, k
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Second)
	s, _ := newService(t, now)
	spec := tokens.Spec{Type: tokens.TypeRefresh, UserID: 7, SessionID: "sid", ID: "jti",
		IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	raw, err := s.Sign(spec)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := s.Sign(spec)
	if again != raw {
		t.Errorf("signing one spec twice gave two tokens: rotation's grace answer relies on equality")
	}
	c, err := s.Verify(raw, tokens.TypeRefresh)
	if err != nil || c.UserID != 7 || c.SessionID != "sid" || c.ID != "jti" || c.Subject != "7" {
		t.Fatalf("Verify = %+v, %v", c, err)
	}
	if _, err := s.Verify(raw, tokens.TypeAccess); !errors.Is(err, tokens.ErrWrongType) {
		t.Errorf("wrong type: %v", err)
	}
	if _, err := s.Verify(raw, ""); err != nil {
		t.Errorf("any type: %v", err)
	}
}

// TestVerifyRefusesStringDates covers the fix for golang-jwt reading a quoted
// number into a NumericDate.
func TestVerifyRefusesStringDates(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	s, k := newService(t, now)
	base := func() jwt.MapClaims {
		return jwt.MapClaims{"token_type": "access", "user_id": 7, "sub": "7", "sid": "s", "jti": "j",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	sign := func(c jwt.MapClaims) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
		tok.Header["kid"] = k.ID
		out, err := tok.SignedString([]byte("unit-test-secret-unit-test-secret-0123"))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if _, err := s.Verify(sign(base()), tokens.TypeAccess); err != nil {
		t.Fatalf("baseline refused: %v", err)
	}
	for claim, v := range map[string]string{"exp": "9999999999", "iat": "1000000000", "nbf": "1000000000"} {
		c := base()
		c[claim] = v
		if _, err := s.Verify(sign(c), tokens.TypeAccess); !errors.Is(err, tokens.ErrInvalid) {
			t.Errorf("%s as a string: %v", claim, err)
		}
	}
}
