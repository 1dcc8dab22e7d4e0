package accounts_test

import (
	"context"
	"testing"
	"time"

	"authsvc/apierr"
)

// svcListed lists ann's sessions a page at a time and checks the total,
// and that the page starts with the session first (newest first).
func svcListed(offset, limit, total int, first func(svcPeople) svcSession) func(*testing.T, *svcEnv, svcPeople) error {
	return func(t *testing.T, e *svcEnv, s svcPeople) error {
		list, n, err := e.svc.Sessions(context.Background(), s.first.p, offset, limit)
		if err != nil {
			return err
		}
		if n != int64(total) || len(list) > limit {
			t.Fatalf("%d sessions (page of %d), want %d", n, len(list), total)
		}
		if first != nil && (len(list) == 0 || list[0].ID != first(s).p.SessionID) {
			t.Fatalf("page at %d starts with %+v, want session %s", offset, list, first(s).p.SessionID)
		}
		return nil
	}
}

// The sessions list holds the user's live sessions, newest first: not
// another user's, not an ended one, not one past the refresh lifetime.
func TestSvcSessionList(t *testing.T) {
	t.Parallel()
	endSecond := func(t *testing.T, e *svcEnv) svcPeople {
		s := svcSignIn(t, e)
		if err := e.svc.EndSession(context.Background(), s.second.p, s.second.p.SessionID); err != nil {
			t.Fatal(err)
		}
		return s
	}
	logoutAll := func(t *testing.T, e *svcEnv) svcPeople {
		s := svcSignIn(t, e)
		if err := e.svc.LogoutAll(context.Background(), s.first.p); err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := func(s svcPeople) svcSession { return s.first }
	second := func(s svcPeople) svcSession { return s.second }
	// The first session was opened a minute before the second.
	life := svcRefreshTTL - time.Minute
	svcRun(t, []svcRow[svcPeople]{
		{name: "both live, newest first", setup: svcSignIn, call: svcListed(0, 10, 2, second)},
		{name: "page of one", setup: svcSignIn, call: svcListed(0, 1, 2, second)},
		{name: "second page", setup: svcSignIn, call: svcListed(1, 1, 2, first)},
		{name: "one ended", setup: endSecond, call: svcListed(0, 10, 1, first)},
		{name: "after logout everywhere", setup: logoutAll, call: svcListed(0, 10, 0, nil)},
		{name: "first just before it expires", setup: svcSignIn, advance: life - time.Second, call: svcListed(0, 10, 2, second)},
		{name: "first expired", setup: svcSignIn, advance: life, call: svcListed(0, 10, 1, second)},
		{name: "both expired", setup: svcSignIn, advance: svcRefreshTTL, call: svcListed(0, 10, 0, nil)},
	})
}

// svcEnd has ann's first session end the session which(s).
func svcEnd(which func(svcPeople) string) func(*testing.T, *svcEnv, svcPeople) error {
	return func(_ *testing.T, e *svcEnv, s svcPeople) error {
		return e.svc.EndSession(context.Background(), s.first.p, which(s))
	}
}

// A user ends a session of their own; any other id, another user's
// included, is 404 and ends nothing.
func TestSvcEndSession(t *testing.T) {
	t.Parallel()
	second := func(s svcPeople) string { return s.second.p.SessionID }
	ended := func(t *testing.T, e *svcEnv) svcPeople {
		s := svcSignIn(t, e)
		if err := e.svc.EndSession(context.Background(), s.second.p, s.second.p.SessionID); err != nil {
			t.Fatal(err)
		}
		return s
	}
	untouched := func(t *testing.T, e *svcEnv, s svcPeople) {
		e.auth(t, s.first, nil)
		e.auth(t, s.bob, nil)
	}
	svcRun(t, []svcRow[svcPeople]{
		{name: "own other session", setup: svcSignIn, call: svcEnd(second),
			check: func(t *testing.T, e *svcEnv, s svcPeople) { e.auth(t, s.second, svcEnded); e.auth(t, s.first, nil) }},
		{name: "own current session", setup: svcSignIn, call: svcEnd(func(s svcPeople) string { return s.first.p.SessionID }),
			check: func(t *testing.T, e *svcEnv, s svcPeople) { e.auth(t, s.first, svcEnded); e.auth(t, s.second, nil) }},
		{name: "another user's session", setup: svcSignIn, call: svcEnd(func(s svcPeople) string { return s.bob.p.SessionID }),
			want: apierr.NotFound, check: untouched},
		{name: "unknown id", setup: svcSignIn, call: svcEnd(func(svcPeople) string { return "no-such-session" }),
			want: apierr.NotFound, check: untouched},
		{name: "id that is not text", setup: svcSignIn, call: svcEnd(func(svcPeople) string { return "\xff\x00" }),
			want: apierr.NotFound, check: untouched},
		{name: "already ended", setup: ended, call: svcEnd(second), want: apierr.NotFound, check: untouched},
	})
}

// Logging out everywhere ends every session and API key of the user and
// nothing of anyone else's; the password still logs in.
func TestSvcLogoutAll(t *testing.T) {
	t.Parallel()
	logoutAll := func(_ *testing.T, e *svcEnv, s svcPeople) error {
		return e.svc.LogoutAll(context.Background(), s.second.p)
	}
	svcRun(t, []svcRow[svcPeople]{
		{name: "the session asking ends", setup: svcSignIn, call: logoutAll,
			check: func(t *testing.T, e *svcEnv, s svcPeople) { e.auth(t, s.second, svcEnded) }},
		{name: "the user's other session ends", setup: svcSignIn, call: logoutAll,
			check: func(t *testing.T, e *svcEnv, s svcPeople) { e.auth(t, s.first, svcEnded) }},
		{name: "the user's API key ends", setup: svcSignIn, call: logoutAll,
			check: func(t *testing.T, e *svcEnv, s svcPeople) {
				_, err := e.svc.AuthenticateKey(context.Background(), s.annKey)
				svcCheck(t, err, apierr.InvalidKey)
			}},
		{name: "another user's session stays", setup: svcSignIn, call: logoutAll,
			check: func(t *testing.T, e *svcEnv, s svcPeople) { e.auth(t, s.bob, nil) }},
		{name: "a new login works", setup: svcSignIn, call: logoutAll,
			check: func(t *testing.T, e *svcEnv, s svcPeople) { e.auth(t, e.login(t, "ann"), nil) }},
	})
}
