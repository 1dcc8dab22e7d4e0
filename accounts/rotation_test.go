package accounts_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"authsvc/apierr"
	"authsvc/internal/testserver"
	"authsvc/tokens"
)

// rotEnv is one server and one logged-in user for a rotation case.
type rotEnv struct {
	t     *testing.T
	s     *testserver.Server
	first testserver.Pair
	grace time.Duration
}

// refresh presents tok; it returns the status, the detail of an error and
// the refresh token of a success.
func (e *rotEnv) refresh(tok string) (status int, detail, next string) {
	e.t.Helper()
	r := e.s.Post("/api/auth/token/refresh/", map[string]string{"refresh": tok})
	m := r.JSON(e.t)
	if r.Status == http.StatusOK {
		next, _ = m["refresh"].(string)
	} else {
		detail, _ = m["detail"].(string)
	}
	return r.Status, detail, next
}

// must refreshes tok and fails the test unless it rotates.
func (e *rotEnv) must(tok string) string {
	e.t.Helper()
	status, detail, next := e.refresh(tok)
	if status != http.StatusOK || next == "" {
		e.t.Fatalf("refresh: %d %s", status, detail)
	}
	return next
}

// sign makes a refresh token with the server's key, for tokens a client
// could never have been given.
func (e *rotEnv) sign(spec tokens.Spec) string {
	e.t.Helper()
	spec.Type = tokens.TypeRefresh
	now := e.s.Clock.Now().Truncate(time.Second)
	spec.IssuedAt, spec.ExpiresAt = now, now.Add(time.Hour)
	tok, err := e.s.App.Tokens.Sign(spec)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func claimsOf(t *testing.T, s *testserver.Server, tok string) *tokens.Claims {
	t.Helper()
	c, err := s.App.Tokens.Verify(tok, tokens.TypeRefresh)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rotationCase presents a token (run) and says what the answer must be and
// whether the session must still be live afterwards.
type rotationCase struct {
	name string
	// run presents the case's token; it returns the token that must
	// still refresh (or must now fail) afterwards.
	run        func(e *rotEnv) (status int, detail, newest string)
	wantStatus int
	wantDetail string
	liveAfter  bool
}

func rotationCases() []rotationCase {
	return []rotationCase{
		{"current", func(e *rotEnv) (int, string, string) {
			st, d, next := e.refresh(e.first.Refresh)
			if next == e.first.Refresh {
				e.t.Errorf("the successor is the presented token")
			}
			return st, d, next
		}, http.StatusOK, "", true},
		{"previous inside grace gets the same successor", func(e *rotEnv) (int, string, string) {
			next := e.must(e.first.Refresh)
			e.s.Clock.Advance(e.grace - time.Second)
			st, d, twin := e.refresh(e.first.Refresh)
			if st == http.StatusOK && twin != next {
				e.t.Errorf("the late twin got another successor: the session forked")
			}
			return st, d, next
		}, http.StatusOK, "", true},
		{"previous after grace", func(e *rotEnv) (int, string, string) {
			next := e.must(e.first.Refresh)
			e.s.Clock.Advance(e.grace + time.Second)
			st, d, _ := e.refresh(e.first.Refresh)
			return st, d, next
		}, http.StatusUnauthorized, apierr.MsgTokenBlacklisted, false},
		{"older, even inside grace", func(e *rotEnv) (int, string, string) {
			second := e.must(e.first.Refresh)
			third := e.must(second)
			st, d, _ := e.refresh(e.first.Refresh)
			return st, d, third
		}, http.StatusUnauthorized, apierr.MsgTokenBlacklisted, false},
		{"wrong session", func(e *rotEnv) (int, string, string) {
			other, _ := e.s.NewUser("other")
			oc := claimsOf(e.t, e.s, other.Refresh)
			fc := claimsOf(e.t, e.s, e.first.Refresh)
			forged := e.sign(tokens.Spec{UserID: fc.UserID, SessionID: oc.SessionID, ID: fc.ID})
			st, d, _ := e.refresh(forged)
			// Nothing was written: the other session's token still rotates.
			e.must(other.Refresh)
			return st, d, e.first.Refresh
		}, http.StatusUnauthorized, apierr.MsgTokenInvalid, true},
		{"generation never reached", func(e *rotEnv) (int, string, string) {
			fc := claimsOf(e.t, e.s, e.first.Refresh)
			mac, _, _ := strings.Cut(fc.ID, ".")
			st, d, _ := e.refresh(e.sign(tokens.Spec{UserID: fc.UserID, SessionID: fc.SessionID, ID: mac + ".7"}))
			return st, d, e.first.Refresh
		}, http.StatusUnauthorized, apierr.MsgTokenInvalid, true},
		{"revoked session", func(e *rotEnv) (int, string, string) {
			r := e.s.Do(testserver.Request{Method: http.MethodPost, Path: "/api/auth/logout/all/", Bearer: e.first.Access})
			if r.Status >= 300 {
				e.t.Fatalf("logout everywhere: %d %s", r.Status, r.Body)
			}
			st, d, _ := e.refresh(e.first.Refresh)
			return st, d, e.first.Refresh
		}, http.StatusUnauthorized, apierr.MsgTokenBlacklisted, false},
		{"session expired, token still valid", func(e *rotEnv) (int, string, string) {
			// A token that outlives its session (only a forged one can:
			// a session expires with its current token) meets the
			// session's expiry in the rotation itself.
			fc := claimsOf(e.t, e.s, e.first.Refresh)
			e.s.Clock.Advance(23*time.Hour + 30*time.Minute)
			mac, _, _ := strings.Cut(fc.ID, ".")
			forged := e.sign(tokens.Spec{UserID: fc.UserID, SessionID: fc.SessionID, ID: mac + ".1"})
			e.s.Clock.Advance(45 * time.Minute) // past the session's 24 h, not the token's exp
			st, d, _ := e.refresh(forged)
			return st, d, forged
		}, http.StatusUnauthorized, apierr.MsgTokenBlacklisted, false},
		{"expired", func(e *rotEnv) (int, string, string) {
			e.s.Clock.Advance(25 * time.Hour)
			st, d, _ := e.refresh(e.first.Refresh)
			return st, d, e.first.Refresh
		}, http.StatusUnauthorized, apierr.MsgTokenInvalid, false},
	}
}

// TestRotationOutcomes runs every outcome of a refresh through the one
// rotation core, on SQLite and (with AUTH_TEST_POSTGRES_URL) PostgreSQL.
// Each case presents a token and says what the answer must be and whether
// the session must still be live afterwards (probed with its newest token).
func TestRotationOutcomes(t *testing.T) {
	t.Parallel()
	for _, c := range rotationCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t, testserver.Options{})
			first, _ := s.NewUser("alice")
			e := &rotEnv{t: t, s: s, first: first, grace: s.App.Config.ReuseGrace}
			status, detail, newest := c.run(e)
			if status != c.wantStatus || detail != c.wantDetail {
				t.Fatalf("answer %d %q, want %d %q", status, detail, c.wantStatus, c.wantDetail)
			}
			if got, _, _ := e.refresh(newest); (got == http.StatusOK) != c.liveAfter {
				t.Fatalf("the session's newest token answers %d afterwards; live want %v", got, c.liveAfter)
			}
		})
	}
}

// TestRefreshStorageConstant: a session refreshed 10,000 times through the
// rotation core holds the rows it held after one refresh, on either
// database.
func TestRefreshStorageConstant(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Env: map[string]string{"AUTH_SQLITE_SYNCHRONOUS": "NORMAL"}})
	pair, _ := s.NewUser("busy")
	ctx := t.Context()
	rows := func() map[string]int64 {
		tables, err := s.App.Store.R.Migrator().GetTables()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, tb := range tables {
			var n int64
			if err := s.App.Store.R.Table(tb).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			out[tb] = n
		}
		return out
	}
	tok := pair.Refresh
	refresh := func() {
		p, err := s.App.Accounts.Refresh(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		tok = p.Refresh
	}
	refresh()
	after1 := rows()
	for range 9_999 {
		refresh()
	}
	if after := rows(); fmt.Sprint(after) != fmt.Sprint(after1) {
		t.Fatalf("rows after 10,000 refreshes %v, after one %v", after, after1)
	}
}
