package handlers_test

// Regression tests for the review fixes (continued): concurrent use of
// mfa_tokens and codes, hostile second-step bodies.

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"authsvc/accounts"
	"authsvc/internal/testserver"
)

// mfaServerWith is mfaServer with more options (hooks, a log).
func mfaServerWith(t *testing.T, o testserver.Options) *testserver.Server {
	t.Helper()
	o.Clock = testserver.NewClockAt(time.Now().UTC().Truncate(totpStep).Add(5 * time.Second))
	return testserver.New(t, o)
}

// raced sends n requests at once and returns the answers in order.
func raced(t *testing.T, n int, send func(i int) *testserver.Response) []*testserver.Response {
	t.Helper()
	out := make([]*testserver.Response, n)
	jobs := make([]func() error, n)
	for i := range jobs {
		jobs[i] = func() error { out[i] = send(i); return nil }
	}
	together(t, jobs)
	return out
}

// holdGate holds the first `hold` calls of an accounts hook until release;
// later calls pass at once, so a regression that sends more requests
// through the hook fails the test instead of hanging it.
type holdGate struct {
	hold    int32
	calls   atomic.Int32
	arrived chan struct{} // one send per held call (buffered: never blocks)
	release chan struct{}
	once    sync.Once
}

func newHoldGate(hold int) *holdGate {
	return &holdGate{hold: int32(hold), arrived: make(chan struct{}, hold), release: make(chan struct{})}
}

func (g *holdGate) hook(ctx context.Context, _ int64) {
	if g.calls.Add(1) > g.hold {
		return
	}
	g.arrived <- struct{}{}
	select {
	case <-g.release:
	case <-ctx.Done():
	}
}

// free lets every held call go on (idempotent, for defer).
func (g *holdGate) free() { g.once.Do(func() { close(g.release) }) }

// An mfa_token's attempt is counted before its code is checked: with five
// wrong codes in flight (checked, their outcome not yet written) the token
// has no attempt left, so a sixth request is refused without its code
// being looked at. It used to be counted after, so any number of codes
// sent at once were all checked against one token.
func TestMFATokenAttemptCountedBeforeCheck(t *testing.T) {
	t.Parallel()
	for _, sixth := range []string{"wrong", "right"} {
		t.Run(sixth+" sixth code", func(t *testing.T) {
			t.Parallel()
			g := newHoldGate(accounts.ChallengeAttempts)
			defer g.free()
			s := mfaServerWith(t, testserver.Options{AccountHooks: accounts.Hooks{MFACodeChecked: g.hook}})
			u := newMFAUser(t, s, "guessed")
			s.Clock.Advance(totpStep) // the confirming step is spent
			tok := mfaLogin(t, s, pathToken, u.name, u.pw)
			wrong, right := u.wrong(t, s), u.now(t, s)
			done := make(chan *testserver.Response, accounts.ChallengeAttempts)
			for range accounts.ChallengeAttempts {
				go func() { done <- finish(s, tok, wrong) }()
			}
			// Every request either reaches the hook or answers without it
			// (a regression): wait for one or the other from each.
			held := 0
			for held < accounts.ChallengeAttempts {
				select {
				case <-g.arrived:
					held++
				case r := <-done:
					t.Fatalf("a wrong code answered without being held at the check: %d %s", r.Status, r.Body)
				}
			}
			code := map[string]string{"wrong": wrong, "right": right}[sixth]
			wantError(t, finish(s, tok, code), http.StatusUnauthorized, "mfa_token_invalid")
			if n := g.calls.Load(); n != accounts.ChallengeAttempts {
				t.Errorf("%d codes checked against one mfa_token, want %d", n, accounts.ChallengeAttempts)
			}
			g.free()
			for range accounts.ChallengeAttempts {
				wantError(t, <-done, http.StatusUnauthorized, "mfa_invalid")
			}
			// The refused right code was not spent: a new login takes it.
			pairOf(t, finish(s, mfaLogin(t, s, pathToken, u.name, u.pw), right))
		})
	}
}

// Concurrent regenerations, each with another good code: every one that
// is let through replaces the whole previous set, so ten codes stay live
// and only the last set's work. They used to run side by side on
// PostgreSQL, each DELETE missing the rows the other inserted: twenty live.
// Whatever the scheduling, the invariants hold; three rounds raise the
// odds that two regenerations overlap.
func TestMFARegenerationsRace(t *testing.T) {
	t.Parallel()
	s := mfaServer(t, nil)
	u := newMFAUser(t, s, "regen")
	all, last := [][]string{u.recovery}, [][]string{u.recovery}
	for range 3 {
		s.Clock.Advance(totpStep)
		// The last round's codes (only one set of them is alive) and the
		// TOTP code, which no regeneration can kill: it goes last.
		codes := append(slices.Concat(last...), u.now(t, s))
		last = nil
		for i, r := range raced(t, len(codes), func(i int) *testserver.Response {
			return stepUp(s, http.MethodPost, pathRecovery, u.pair.Access, map[string]any{"password": u.pw, "code": codes[i]})
		}) {
			if r.Status == http.StatusOK {
				last = append(last, recoveryCodesOf(t, r))
			} else if i == len(codes)-1 {
				t.Fatalf("regeneration with the TOTP code: %d %s", r.Status, r.Body)
			} else {
				wantError(t, r, http.StatusForbidden, "mfa_invalid")
			}
		}
		wantMFAStatus(t, s, u.pair.Access, true, 10)
		all = append(all, last...)
	}
	firsts := make([]string, len(all))
	for i, set := range all {
		firsts[i] = set[0]
	}
	live := slices.Index(tryCodes(t, s, u, firsts), true)
	if live < len(all)-len(last) {
		t.Fatalf("set %d of %d works, want one of the last round's", live, len(all))
	}
	wantMFAStatus(t, s, u.pair.Access, true, 9)
	var dead []string
	for i, set := range all {
		if i != live {
			dead = append(dead, set[1:]...)
		}
	}
	if n := len(slices.DeleteFunc(tryCodes(t, s, u, dead), func(ok bool) bool { return !ok })); n > 0 {
		t.Errorf("%d codes of replaced sets work", n)
	}
}

// One code sent at once by several requests is accepted once, whatever the
// scheduling: a TOTP step across logins and step-ups (a step is never
// accepted twice, by any endpoint), a recovery code across mfa_tokens.
func TestMFAConcurrentCodeUse(t *testing.T) {
	t.Parallel()
	const n = 8
	for _, tc := range []struct {
		name    string
		code    func(u *mfaUser, t *testing.T, s *testserver.Server) string
		stepUps int // requests that are regenerations; the others finish logins
		left    int // recovery codes left afterwards
	}{
		{"one TOTP code, logins and step-ups", (*mfaUser).fresh, n / 2, 10},
		{"one recovery code, many mfa_tokens", func(u *mfaUser, _ *testing.T, _ *testserver.Server) string {
			return u.recovery[0]
		}, 0, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := mfaServer(t, nil)
			u := newMFAUser(t, s, "racer")
			toks := make([]string, n)
			for i := tc.stepUps; i < n; i++ {
				toks[i] = mfaLogin(t, s, pathToken, u.name, u.pw)
			}
			code := tc.code(u, t, s)
			wantOnce(t, raced(t, n, func(i int) *testserver.Response {
				if i < tc.stepUps {
					return stepUp(s, http.MethodPost, pathRecovery, u.pair.Access, map[string]any{"password": u.pw, "code": code})
				}
				return finish(s, toks[i], code)
			}))
			wantMFAStatus(t, s, u.pair.Access, true, tc.left)
		})
	}
}

// wantOnce wants exactly one 200 among answers that used one code; the
// others are the wrong-code answers of their endpoints.
func wantOnce(t *testing.T, rs []*testserver.Response) {
	t.Helper()
	ok := 0
	for _, r := range rs {
		switch r.Status {
		case http.StatusOK:
			ok++
		case http.StatusUnauthorized, http.StatusForbidden:
			wantError(t, r, r.Status, "mfa_invalid")
		default:
			t.Errorf("answer %d %s", r.Status, r.Body)
		}
	}
	if ok != 1 {
		t.Errorf("one code accepted %d times", ok)
	}
}

// tryCodes reports which codes finish a login of u, in order; a refusal
// must be the wrong-code answer. A token takes wrong codes until it dies.
func tryCodes(t *testing.T, s *testserver.Server, u *mfaUser, codes []string) []bool {
	t.Helper()
	ok := make([]bool, len(codes))
	tok, left := "", 0
	for i, c := range codes {
		if left == 0 {
			tok, left = mfaLogin(t, s, pathToken, u.name, u.pw), accounts.ChallengeAttempts
		}
		r := finish(s, tok, c)
		left--
		if ok[i] = r.Status == http.StatusOK; ok[i] {
			left = 0 // spent
			continue
		}
		wantError(t, r, http.StatusUnauthorized, "mfa_invalid")
	}
	return ok
}

func recoveryCodesOf(t *testing.T, r *testserver.Response) []string {
	t.Helper()
	list, _ := r.JSON(t)["recovery_codes"].([]any)
	var out []string
	for _, v := range list {
		c, _ := v.(string)
		out = append(out, c)
	}
	if len(out) != 10 {
		t.Fatalf("%d recovery codes in %s", len(out), r.Body)
	}
	return out
}

// Hostile bodies on the second step (and a step-up) get a 4xx, never a
// 5xx; the mfa_token still works afterwards, sent as a form.
func TestMFASecondStepHostileBodies(t *testing.T) {
	t.Parallel()
	s := mfaServer(t, nil)
	u := newMFAUser(t, s, "hostile")
	s.Clock.Advance(totpStep)
	tok := mfaLogin(t, s, pathToken, u.name, u.pw)
	wrong := u.wrong(t, s)
	huge := strings.Repeat("a", 900<<10)
	for _, tc := range []struct{ name, path, bearer, body string }{
		{"numeric code", pathTokenMFA, "", `{"mfa_token":"` + tok + `","code":` + wrong + `}`},
		{"array code", pathTokenMFA, "", `{"mfa_token":"` + tok + `","code":["` + wrong + `"]}`},
		{"object code", pathTokenMFA, "", `{"mfa_token":"` + tok + `","code":{"totp":"` + wrong + `"}}`},
		{"null code", pathTokenMFA, "", `{"mfa_token":"` + tok + `","code":null}`},
		{"object mfa_token", pathTokenMFA, "", `{"mfa_token":{"a":1},"code":"` + wrong + `"}`},
		{"array mfa_token", pathTokenMFA, "", `{"mfa_token":["` + tok + `"],"code":"` + wrong + `"}`},
		{"900 KB mfa_token", pathTokenMFA, "", `{"mfa_token":"` + huge + `","code":"` + wrong + `"}`},
		{"900 KB code", pathTokenMFA, "", `{"mfa_token":"` + tok + `","code":"` + huge + `"}`},
		{"900 KB dashes as code", pathTokenMFA, "", `{"mfa_token":"` + tok + `","code":"` + strings.Repeat("-", 900<<10) + `"}`},
		{"step-up numeric code", pathPassword, u.pair.Access,
			`{"old_password":"` + u.pw + `","new_password":"` + strongPassword + `","code":` + wrong + `}`},
		{"step-up array code", pathPassword, u.pair.Access,
			`{"old_password":"` + u.pw + `","new_password":"` + strongPassword + `","code":["` + wrong + `"]}`},
	} {
		r := s.Do(testserver.Request{Method: http.MethodPost, Path: tc.path, Bearer: tc.bearer,
			Body: strings.NewReader(tc.body), ContentType: "application/json"})
		if r.Status < 400 || r.Status >= 500 {
			t.Errorf("%s: %d %.200s, want a 4xx", tc.name, r.Status, r.Body)
		}
		if tc.path == pathPassword && (r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "Not a valid string.")) {
			// A code that is not a string is a field error, as at the
			// second step, not a missing code (mfa_required).
			t.Errorf("%s: %d %s, want 400 Not a valid string.", tc.name, r.Status, r.Body)
		}
	}
	form := url.Values{"mfa_token": {tok}, "code": {u.now(t, s)}}.Encode()
	pairOf(t, s.Do(testserver.Request{Method: http.MethodPost, Path: pathTokenMFA,
		Body: strings.NewReader(form), ContentType: "application/x-www-form-urlencoded"}))
}
