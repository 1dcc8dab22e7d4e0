//go:build crash

package reliability

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// The crash test: a mixed load from several workers, SIGKILL at a random
// moment (after a random number of acknowledged operations, not a timer),
// restart on the same data, and check that everything the server
// acknowledged with a 2xx survived. Run with: go test -tags crash ./reliability/

const crashCycles = 20

// world is what clients were told. Each worker owns its users, so the model
// needs no cross-worker ordering; an operation whose answer was lost in the
// crash makes its user or session "uncertain" and leaves it out of checks.
type world struct {
	mu      sync.Mutex
	users   []*user
	retired []string // refresh tokens acknowledged as rotated away
	ended   []pair   // sessions acknowledged as logged out or revoked
	oldPWs  []cred   // passwords acknowledged as replaced
	// Totals of what was verified, for the log.
	nRetired, nOldPWs int
}

type cred struct{ name, pw string }

type pair struct{ access, refresh string }

type user struct {
	name, pw  string
	sessions  []pair
	uncertain bool // an answer was lost: password may be old or new
	checked   bool // already verified after a restart
}

func (w *world) add(u *user) {
	w.mu.Lock()
	w.users = append(w.users, u)
	w.mu.Unlock()
}

// op runs one random operation for u; it returns true when the server
// acknowledged it.
func op(url string, w *world, u *user, r *rand.Rand) (bool, error) {
	pick := r.IntN(10)
	switch {
	case len(u.sessions) == 0 || pick < 3:
		a, err := call(http.MethodPost, url+"/api/auth/token/", "", map[string]string{"username": u.name, "password": u.pw})
		if err != nil {
			return false, err
		}
		if a.status != http.StatusOK {
			return false, fmt.Errorf("login %s: %d %v", u.name, a.status, a.body)
		}
		u.sessions = append(u.sessions, pair{str(a, "access"), str(a, "refresh")})
	case pick < 7:
		i := r.IntN(len(u.sessions))
		old := u.sessions[i]
		a, err := call(http.MethodPost, url+"/api/auth/token/refresh/", "", map[string]string{"refresh": old.refresh})
		if err != nil {
			u.sessions = append(u.sessions[:i], u.sessions[i+1:]...) // outcome unknown
			return false, err
		}
		if a.status != http.StatusOK {
			return false, fmt.Errorf("refresh for %s: %d %v", u.name, a.status, a.body)
		}
		u.sessions[i] = pair{str(a, "access"), str(a, "refresh")}
		w.mu.Lock()
		w.retired = append(w.retired, old.refresh)
		w.mu.Unlock()
	case pick < 9:
		i := r.IntN(len(u.sessions))
		s := u.sessions[i]
		u.sessions = append(u.sessions[:i], u.sessions[i+1:]...)
		a, err := call(http.MethodPost, url+"/api/auth/logout/", "", map[string]string{"refresh": s.refresh})
		if err != nil {
			return false, err
		}
		if a.status != http.StatusOK {
			return false, fmt.Errorf("logout for %s: %d %v", u.name, a.status, a.body)
		}
		w.mu.Lock()
		w.ended = append(w.ended, s)
		w.mu.Unlock()
	default:
		s := u.sessions[0]
		newPW := fmt.Sprintf("changed-Horse-%d-battery", r.IntN(1e9))
		a, err := call(http.MethodPost, url+"/api/auth/password/change/", s.access,
			map[string]string{"old_password": u.pw, "new_password": newPW})
		if err != nil {
			u.uncertain = true
			return false, err
		}
		if a.status != http.StatusOK {
			return false, fmt.Errorf("password change for %s: %d %v", u.name, a.status, a.body)
		}
		w.mu.Lock()
		w.oldPWs = append(w.oldPWs, cred{u.name, u.pw})
		w.ended = append(w.ended, u.sessions[1:]...) // every other session ends
		w.mu.Unlock()
		u.pw, u.sessions = newPW, u.sessions[:1]
	}
	return true, nil
}

func runCrash(t *testing.T, env map[string]string, dbFile string) {
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), 42))
	w := &world{}
	next := 0
	for cycle := 1; cycle <= crashCycles; cycle++ {
		p := start(t, env)
		check(t, p.URL, w, cycle)

		// Load: each worker owns some users and runs operations until the
		// kill switch; the kill comes after a random number of acks.
		killAt := int64(10 + r.IntN(40))
		var acks atomic.Int64
		var wg sync.WaitGroup
		killed := make(chan struct{})
		var once sync.Once
		for wk := 0; wk < 4; wk++ {
			next++
			u := &user{name: fmt.Sprintf("c%d_w%d_%d", cycle, wk, next), pw: "correct-Horse-battery-9"}
			wseed := r.Uint64()
			wg.Add(1)
			go func(u *user) {
				defer wg.Done()
				rr := rand.New(rand.NewPCG(wseed, 7))
				a, err := call(http.MethodPost, p.URL+"/api/auth/register/", "", map[string]string{"username": u.name, "password": u.pw})
				if err != nil {
					return // killed before the answer: unknown, not tracked
				}
				if a.status != http.StatusCreated {
					t.Errorf("register %s: %d %v", u.name, a.status, a.body)
					return
				}
				w.add(u)
				for {
					select {
					case <-killed:
						return
					default:
					}
					ok, err := op(p.URL, w, u, rr)
					if err != nil {
						select {
						case <-killed: // expected: the server is gone
						default:
							t.Errorf("operation failed before the kill: %v", err)
						}
						return
					}
					if ok && acks.Add(1) == killAt {
						once.Do(func() { close(killed); p.kill() })
					}
				}
			}(u)
		}
		wg.Wait()
		once.Do(func() { close(killed); p.kill() })
		if dbFile != "" {
			integrityOK(t, dbFile)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	p := start(t, env)
	for _, u := range w.users {
		u.checked = false
	}
	check(t, p.URL, w, crashCycles+1)
	t.Logf("%d cycles, %d users, %d retired refresh tokens, %d ended sessions, %d replaced passwords checked",
		crashCycles, len(w.users), w.nRetired, len(w.ended), w.nOldPWs)
}

// check verifies after a restart that every acknowledged effect is in force.
func check(t *testing.T, url string, w *world, cycle int) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, u := range w.users {
		if u.uncertain || u.checked {
			continue
		}
		a, err := call(http.MethodPost, url+"/api/auth/token/", "", map[string]string{"username": u.name, "password": u.pw})
		if err != nil || a.status != http.StatusOK {
			t.Fatalf("cycle %d: acknowledged user %s cannot log in: %v %d %v", cycle, u.name, err, a.status, a.body)
		}
		u.checked = true
	}
	for _, s := range w.ended {
		if a, err := call(http.MethodGet, url+"/api/auth/profile/", s.access, nil); err != nil || a.status != http.StatusUnauthorized {
			t.Fatalf("cycle %d: an ended session's access token answered %d %v (%v)", cycle, a.status, a.body, err)
		}
		if a, err := call(http.MethodPost, url+"/api/auth/token/refresh/", "", map[string]string{"refresh": s.refresh}); err != nil || a.status != http.StatusUnauthorized {
			t.Fatalf("cycle %d: an ended session's refresh token answered %d %v (%v)", cycle, a.status, a.body, err)
		}
	}
	for _, rt := range w.retired {
		// A retired token must never yield a pair again (presenting it
		// also revokes its session: reuse detection).
		if a, err := call(http.MethodPost, url+"/api/auth/token/refresh/", "", map[string]string{"refresh": rt}); err != nil || a.status == http.StatusOK {
			t.Fatalf("cycle %d: a rotated refresh token was accepted again: %d (%v)", cycle, a.status, err)
		}
	}
	// Checked once; presenting them revoked their sessions (reuse
	// detection), which the workers of the next cycle do not use.
	w.nRetired += len(w.retired)
	w.retired = w.retired[:0]
	for _, c := range w.oldPWs {
		if a, err := call(http.MethodPost, url+"/api/auth/token/", "", map[string]string{"username": c.name, "password": c.pw}); err != nil || a.status != http.StatusUnauthorized {
			t.Fatalf("cycle %d: a replaced password still logs in: %d (%v)", cycle, a.status, err)
		}
	}
	w.nOldPWs += len(w.oldPWs)
	w.oldPWs = w.oldPWs[:0]
}

func TestCrashSafetySQLite(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "auth.db")
	runCrash(t, map[string]string{
		"AUTH_DATA_DIR": filepath.Join(dir, "data"), "AUTH_DATABASE_URL": "sqlite://" + db,
		"AUTH_THROTTLE": "off", "AUTH_REFRESH_REUSE_GRACE": "0s",
	}, db)
}

func TestCrashSafetyPostgres(t *testing.T) {
	url := postgresDatabase(t)
	dir := t.TempDir()
	runCrash(t, map[string]string{
		"AUTH_DATA_DIR": filepath.Join(dir, "data"), "AUTH_DATABASE_URL": url,
		"AUTH_THROTTLE": "off", "AUTH_REFRESH_REUSE_GRACE": "0s",
	}, "")
}
