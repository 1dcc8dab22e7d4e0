package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"authsvc/passwords"
)

// step performs one request and returns its status (0: transport error).
type step func(buf *bytes.Buffer) (int, error)

// user is a seeded account.
type user struct{ name, password string }

// env is what the scenarios share: the client and the seeded accounts.
type env struct {
	cl    *client
	runID string
	users []user
	pairs []Pair // one logged-in session per user, for profile and verify
	o     options
	regN  atomic.Int64
}

// group is a set of workers measured together under one name.
type group struct {
	name  string
	steps []step
}

// measure runs every group's workers at once for d and returns one Result
// per group.
func measure(d time.Duration, groups ...group) []Result {
	recs := make([][]*recorder, len(groups))
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for gi, g := range groups {
		recs[gi] = make([]*recorder, len(g.steps))
		for wi, st := range g.steps {
			rec := &recorder{lat: make([]time.Duration, 0, 4096)}
			recs[gi][wi] = rec
			wg.Add(1)
			go func() {
				defer wg.Done()
				var buf bytes.Buffer
				for time.Now().Before(end) {
					t0 := time.Now()
					status, err := st(&buf)
					if err != nil && status == http.StatusOK {
						status = 0 // a 200 we could not use is an error too
					}
					rec.add(time.Since(t0), status, buf.Bytes())
				}
			}()
		}
	}
	wg.Wait()
	took := time.Since(start)
	out := make([]Result, len(groups))
	for gi, g := range groups {
		out[gi] = summarize(g.name, len(g.steps), took, recs[gi])
	}
	return out
}

func (e *env) profileSteps(c int) []step {
	steps := make([]step, c)
	for i := range steps {
		tok := e.pairs[i%len(e.pairs)].Access
		steps[i] = func(buf *bytes.Buffer) (int, error) {
			return e.cl.do(http.MethodGet, "/api/auth/profile/", tok, nil, buf)
		}
	}
	return steps
}

func (e *env) verifySteps(c int) []step {
	steps := make([]step, c)
	for i := range steps {
		body := jsonBody(map[string]string{"token": e.pairs[i%len(e.pairs)].Access})
		steps[i] = func(buf *bytes.Buffer) (int, error) {
			return e.cl.do(http.MethodPost, "/api/auth/token/verify/", "", body, buf)
		}
	}
	return steps
}

// refreshSteps gives every worker its own session (logged in before the
// clock starts) and keeps rotating that chain; a broken chain logs in again.
func (e *env) refreshSteps(c int) ([]step, error) {
	chains, err := e.loginAll(c)
	if err != nil {
		return nil, err
	}
	steps := make([]step, c)
	for i := range steps {
		u := e.users[i%len(e.users)]
		tok := chains[i].Refresh
		steps[i] = func(buf *bytes.Buffer) (int, error) {
			p, st, err := e.cl.refresh(tok, buf)
			if err == nil && st == http.StatusOK {
				tok = p.Refresh
				return st, nil
			}
			var b bytes.Buffer
			if p, _, lerr := e.cl.login(u.name, u.password, &b); lerr == nil {
				tok = p.Refresh
			}
			return st, err
		}
	}
	return steps, nil
}

func (e *env) loginSteps(c int) []step {
	steps := make([]step, c)
	for i := range steps {
		u := e.users[i%len(e.users)]
		body := jsonBody(map[string]string{"username": u.name, "password": u.password})
		steps[i] = func(buf *bytes.Buffer) (int, error) {
			return e.cl.do(http.MethodPost, "/api/auth/token/", "", body, buf)
		}
	}
	return steps
}

func (e *env) registerSteps(c int) []step {
	steps := make([]step, c)
	for i := range steps {
		steps[i] = func(buf *bytes.Buffer) (int, error) {
			name := fmt.Sprintf("%sr%d", e.runID, e.regN.Add(1))
			body := jsonBody(map[string]string{"username": name, "password": password})
			return e.cl.do(http.MethodPost, "/api/auth/register/", "", body, buf)
		}
	}
	return steps
}

// spaSteps is a browser tab's life: log in, call the profile many times,
// refresh every N calls, log out, start again. Every request counts.
func (e *env) spaSteps(c int) []step {
	steps := make([]step, c)
	for i := range steps {
		u := e.users[i%len(e.users)]
		var p Pair
		calls := 0
		steps[i] = func(buf *bytes.Buffer) (int, error) {
			switch {
			case p.Access == "":
				np, st, err := e.cl.login(u.name, u.password, buf)
				if err == nil && st == http.StatusOK {
					p, calls = np, 0
				}
				return st, err
			case calls >= e.o.spaCalls:
				st, err := e.cl.do(http.MethodPost, "/api/auth/logout/", "", jsonBody(map[string]string{"refresh": p.Refresh}), buf)
				p = Pair{}
				return st, err
			case calls > 0 && calls%e.o.spaRefresh == 0:
				calls++
				np, st, err := e.cl.refresh(p.Refresh, buf)
				if err == nil && st == http.StatusOK {
					p = np
				} else {
					p = Pair{}
				}
				return st, err
			default:
				calls++
				return e.cl.do(http.MethodGet, "/api/auth/profile/", p.Access, nil, buf)
			}
		}
	}
	return steps
}

// loginAll logs every worker in once (before measuring).
func (e *env) loginAll(c int) ([]Pair, error) {
	out := make([]Pair, c)
	errs := make(chan error, c)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			u := e.users[i%len(e.users)]
			var buf bytes.Buffer
			p, st, err := e.cl.login(u.name, u.password, &buf)
			if err != nil || st != http.StatusOK {
				errs <- fmt.Errorf("log in %s: status %d: %v %s", u.name, st, err, buf.String())
				return
			}
			out[i] = p
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return out, nil
}

// seed registers the tool's users through the API and logs each in once.
func (e *env) seed(n int) error {
	e.users = make([]user, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range n {
		e.users[i] = user{name: fmt.Sprintf("%su%d", e.runID, i), password: password}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var buf bytes.Buffer
			st, err := e.cl.do(http.MethodPost, "/api/auth/register/", "",
				jsonBody(map[string]string{"username": e.users[i].name, "password": password}), &buf)
			if err != nil || st != http.StatusCreated {
				errs <- fmt.Errorf("register %s: status %d: %v %s", e.users[i].name, st, err, buf.String())
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	var err error
	e.pairs, err = e.loginAll(n)
	return err
}

// hashrate measures argon2id hashes per second with the service's own
// Hasher and parameters on every CPU this process may use: the ceiling for
// login throughput.
func hashrate(ctx context.Context, d time.Duration) Result {
	h := passwords.NewHasher(passwords.OWASP, 0)
	n := runtime.NumCPU()
	recs := make([]*recorder, n)
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for i := range n {
		recs[i] = &recorder{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				t0 := time.Now()
				_, err := h.Hash(ctx, password)
				st := http.StatusOK
				if err != nil {
					st = 0
				}
				recs[i].add(time.Since(t0), st, nil)
			}
		}()
	}
	wg.Wait()
	r := summarize("hashrate", n, time.Since(start), recs)
	r.Extra = map[string]any{"params": fmt.Sprintf("argon2id m=%dKiB t=%d p=%d", passwords.OWASP.Memory, passwords.OWASP.Time, passwords.OWASP.Threads), "cpus": n}
	return r
}
