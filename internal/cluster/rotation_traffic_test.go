package cluster

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// traffic is continuous cross-instance use of tokens: each worker logs in on
// one instance and uses the tokens on the other (profile, refresh, profile
// with the refreshed access token), swapping roles every round. Any answer
// but 200 is recorded.
type traffic struct {
	a, b     *testserver.Server
	stop     chan struct{}
	wg       sync.WaitGroup
	rounds   atomic.Int64
	roundEnd chan struct{} // a worker's non-blocking send after each round
	mu       sync.Mutex
	failures []string
}

func startTraffic(t *testing.T, a, b *testserver.Server, workers int) *traffic {
	t.Helper()
	tr := &traffic{a: a, b: b, stop: make(chan struct{}), roundEnd: make(chan struct{})}
	const pw = "Quartz-Velvet-93-Lantern"
	for w := range workers {
		name := fmt.Sprintf("traffic%d", w)
		a.Register(name, pw)
		tr.wg.Add(1)
		go func() {
			defer tr.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-tr.stop:
					return
				default:
				}
				x, y := a, b
				if (i+w)%2 == 1 {
					x, y = b, a
				}
				tr.round(x, y, name, pw)
				tr.rounds.Add(1)
				select {
				case tr.roundEnd <- struct{}{}:
				default:
				}
			}
		}()
	}
	return tr
}

// round: login on x; profile on y; refresh on y; profile on x with the
// refreshed access token; verify the new refresh token on x.
func (tr *traffic) round(x, y *testserver.Server, name, pw string) {
	r := tr.call(x, "login", "/api/auth/token/", "", map[string]string{"username": name, "password": pw})
	if r == nil {
		return
	}
	if tr.call(y, "profile", "/api/auth/profile/", r["access"], nil) == nil {
		return
	}
	r2 := tr.call(y, "refresh", "/api/auth/token/refresh/", "", map[string]string{"refresh": r["refresh"]})
	if r2 == nil {
		return
	}
	if tr.call(x, "profile", "/api/auth/profile/", r2["access"], nil) == nil {
		return
	}
	tr.call(x, "verify", "/api/auth/token/verify/", "", map[string]string{"token": r2["refresh"]})
}

// call sends one request with the servers' own client (the contract check
// of testserver.Do belongs to the test goroutine) and returns the string
// fields of a 200 answer, or nil after recording the failure.
func (tr *traffic) call(s *testserver.Server, what, path, bearer string, body any) map[string]string {
	method, rd := http.MethodGet, io.Reader(nil)
	if body != nil {
		b, _ := json.Marshal(body)
		method, rd = http.MethodPost, bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		tr.fail(fmt.Sprintf("%s on %s: %v", what, s.URL, err))
		return nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		tr.fail(fmt.Sprintf("%s on %s: %d %s", what, s.URL, resp.StatusCode, raw))
		return nil
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func (tr *traffic) fail(msg string) {
	tr.mu.Lock()
	tr.failures = append(tr.failures, msg)
	tr.mu.Unlock()
}

// await returns once n more rounds have finished (across all workers): the
// barrier that makes sure traffic really ran in each state of the rotation,
// without guessing a duration.
func (tr *traffic) await(n int) {
	for range n {
		<-tr.roundEnd
	}
}

func (tr *traffic) halt(t *testing.T) {
	t.Helper()
	close(tr.stop)
	tr.wg.Wait()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.failures) > 0 {
		n := min(len(tr.failures), 5)
		t.Fatalf("%d failed requests during rotation (want 0), first %d:\n%s", len(tr.failures), n, strings.Join(tr.failures[:n], "\n"))
	}
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Kid string }
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

// manualPair is pair with the key pollers off: the test reloads each
// instance's keys itself, in the order that hurts most.
func manualPair(t *testing.T) (a, b *testserver.Server) {
	t.Helper()
	testserver.RequirePostgres(t)
	dir, clock := t.TempDir(), testserver.NewClock()
	env := map[string]string{"AUTH_SIGNING_ALG": "EdDSA"}
	a = testserver.New(t, testserver.Options{Dir: dir, Clock: clock, Env: env, ManualKeyReload: true})
	b = testserver.New(t, testserver.Options{Dir: dir, Clock: clock, Env: env, ManualKeyReload: true})
	return a, b
}

func reload(t *testing.T, s *testserver.Server) {
	t.Helper()
	if err := s.App.ReloadKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestRotationSeamlessUnderTraffic: two instances on PostgreSQL, tokens
// crossing between them continuously while a rotation runs, and every
// request must succeed. The pollers are off; the test reloads each
// instance's keys in the worst order: the instance where the rotation was
// made first, the other one a poll later. Publish-first means that while
// one instance knows the new key and the other does not, nobody signs with
// it; only once the signing time (a few poll intervals ahead) has passed
// does the first instance switch, and by then the other verifies it.
func TestRotationSeamlessUnderTraffic(t *testing.T) {
	t.Parallel()
	a, b := manualPair(t)
	ctx := context.Background()
	oldKid := a.App.Tokens.Keys().Signing.ID
	tr := startTraffic(t, a, b, 4)
	tr.await(8)

	var out, errOut bytes.Buffer
	if code, err := a.App.SigningKeys.Command(ctx, []string{"rotate"}, &out, &errOut); code != 0 || err != nil {
		t.Fatalf("signing-keys rotate: %d %v %s", code, err, errOut.String())
	}
	reload(t, a) // A has polled since the rotation; B has not
	tr.await(8)
	reload(t, b)
	tr.await(8)
	if ka, kb := a.App.Tokens.Keys().Signing.ID, b.App.Tokens.Keys().Signing.ID; ka != oldKid || kb != oldKid {
		t.Errorf("before the signing time: A signs with %s, B with %s, want the old %s on both", ka, kb, oldKid)
	}

	a.Clock.Advance(time.Minute) // past the new key's signing time
	reload(t, a)                 // A switches; B still has the old signing key, but verifies the new one
	tr.await(8)
	newKid := a.App.Tokens.Keys().Signing.ID
	if newKid == oldKid || !strings.Contains(out.String(), newKid) {
		t.Errorf("after the signing time A signs with %s (old %s); rotate said %q", newKid, oldKid, out.String())
	}
	reload(t, b)
	tr.await(8)
	if kb := b.App.Tokens.Keys().Signing.ID; kb != newKid {
		t.Errorf("B signs with %s, want %s", kb, newKid)
	}
	// Publishing first made the unknown-kid fallback unnecessary.
	if na, nb := a.App.SigningKeys.UnknownKIDReloads(), b.App.SigningKeys.UnknownKIDReloads(); na != 0 || nb != 0 {
		t.Errorf("unknown-kid reloads during a planned rotation: A %d, B %d, want 0", na, nb)
	}

	// Emergency rotation on B: signs at once, A has not polled. A meets
	// the kid in B's tokens and reloads once instead of refusing them.
	out.Reset()
	if code, err := b.App.SigningKeys.Command(ctx, []string{"rotate", "--now"}, &out, &errOut); code != 0 || err != nil {
		t.Fatalf("signing-keys rotate --now: %d %v %s", code, err, errOut.String())
	}
	reload(t, b)
	tr.await(8)
	urgentKid := b.App.Tokens.Keys().Signing.ID
	if urgentKid == newKid || a.App.Tokens.Keys().Verifying[urgentKid] == nil {
		t.Errorf("after rotate --now: B signs with %s (was %s); A knows it: %v", urgentKid, newKid, a.App.Tokens.Keys().Verifying[urgentKid] != nil)
	}
	// The clock has not moved: the limit allows one reload, and one was enough.
	if n := a.App.SigningKeys.UnknownKIDReloads(); n != 1 {
		t.Errorf("A reloaded %d times for B's new kid, want 1", n)
	}
	tr.halt(t)
}

// TestRetireReachesOtherInstance: "signing-keys retire" on one instance drops the
// key everywhere at the next reload: tokens it signed are refused on both,
// it leaves both JWKS, and the next key signs.
func TestRetireReachesOtherInstance(t *testing.T) {
	t.Parallel()
	a, b := manualPair(t)
	ctx := context.Background()
	p := newUser(a, "retiree")
	oldKid := kidOf(t, p.Access)
	var out, errOut bytes.Buffer
	if code, err := b.App.SigningKeys.Command(ctx, []string{"retire", oldKid}, &out, &errOut); code != 0 || err != nil {
		t.Fatalf("signing-keys retire: %d %v %s", code, err, errOut.String())
	}
	reload(t, a)
	reload(t, b)
	for name, s := range map[string]*testserver.Server{"A": a, "B": b} {
		if got := profile(s, p.Access); got != http.StatusUnauthorized {
			t.Errorf("%s: token of the retired key answered %d, want 401", name, got)
		}
		if r := refresh(s, p.Refresh); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: refresh token of the retired key answered %d, want 401", name, r.Status)
		}
		if s.App.Tokens.Keys().Verifying[oldKid] != nil {
			t.Errorf("%s still verifies with %s", name, oldKid)
		}
		r := s.Do(testserver.Request{Method: http.MethodGet, Path: "/.well-known/jwks.json"})
		if strings.Contains(string(r.Body), oldKid) {
			t.Errorf("%s still publishes %s: %s", name, oldKid, r.Body)
		}
	}
	next := a.App.Tokens.Keys().Signing.ID
	if next == oldKid || b.App.Tokens.Keys().Signing.ID != next || !strings.Contains(out.String(), next) {
		t.Fatalf("after retire A signs with %s, B with %s; retire said %q", next, b.App.Tokens.Keys().Signing.ID, out.String())
	}
	q := a.Login("retiree", "Quartz-Velvet-93-Lantern")
	if got := profile(b, q.Access); got != http.StatusOK {
		t.Fatalf("B refuses a token of the key that took over: %d", got)
	}
}
