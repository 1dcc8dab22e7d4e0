package handlers_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestRefreshRotates(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	p0, _ := s.NewUser("rotator")
	s.Clock.Advance(2 * time.Second) // a new iat, so a re-issued token could not equal the old by accident
	p1 := pairOf(t, refresh(s, p0.Refresh))
	if p1.Refresh == p0.Refresh || p1.Access == p0.Access {
		t.Fatalf("refresh did not issue new tokens")
	}
	wantStatus(t, profile(s, p1.Access), http.StatusOK)
	p2 := pairOf(t, refresh(s, p1.Refresh))
	wantStatus(t, profile(s, p2.Access), http.StatusOK)
	// The older access tokens of a live session keep working until they expire.
	wantStatus(t, profile(s, p0.Access), http.StatusOK)
}

func TestRefreshBadInput(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	wantField(t, s.Post(pathRefresh, map[string]any{}), "refresh", "This field is required.")
	wantField(t, s.Post(pathRefresh, map[string]any{"refresh": nil}), "refresh", "This field may not be null.")
	wantTokenInvalid(t, refresh(s, "garbage"))
}

func TestRefreshReuseInsideGrace(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil) // grace: the default 10s
	p0, _ := s.NewUser("graceful")
	s.Clock.Advance(time.Second)
	p1 := pairOf(t, refresh(s, p0.Refresh))
	s.Clock.Advance(5 * time.Second)
	again := pairOf(t, refresh(s, p0.Refresh))
	if again.Refresh != p1.Refresh {
		t.Errorf("second presentation got another successor: the session forked")
	}
	wantStatus(t, profile(s, again.Access), http.StatusOK)
	// The session is live: its chain goes on from the one successor.
	p2 := pairOf(t, refresh(s, p1.Refresh))
	wantStatus(t, profile(s, p2.Access), http.StatusOK)
	wantStatus(t, profile(s, p1.Access), http.StatusOK)
}

func TestRefreshReuseAfterGraceRevokesSession(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"AUTH_REFRESH_REUSE_GRACE": "3s"})
	p0, pw := s.NewUser("stolen")
	other := s.Login("stolen", pw) // another session of the same user
	s.Clock.Advance(time.Second)
	p1 := pairOf(t, refresh(s, p0.Refresh))
	p2 := pairOf(t, refresh(s, p1.Refresh))
	s.Clock.Advance(4 * time.Second)

	r := refresh(s, p0.Refresh)
	wantTokenInvalid(t, r)

	// Every token of the session is dead: the latest refresh token and all
	// of its access tokens.
	wantTokenInvalid(t, refresh(s, p2.Refresh))
	for i, a := range []string{p0.Access, p1.Access, p2.Access} {
		if r := profile(s, a); r.Status != http.StatusUnauthorized {
			t.Errorf("access token %d still works: %d", i, r.Status)
		}
	}
	wantTokenInvalid(t, s.Post(pathVerify, map[string]string{"token": p2.Refresh}))
	// The user's other session is untouched.
	wantStatus(t, profile(s, other.Access), http.StatusOK)
	pairOf(t, refresh(s, other.Refresh))
}

func TestRefreshConcurrent(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	p0, _ := s.NewUser("racer")
	body, _ := json.Marshal(map[string]string{"refresh": p0.Refresh})

	const n = 50
	type result struct {
		status  int
		refresh string
		err     error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := s.Client.Post(s.URL+pathRefresh, "application/json", bytes.NewReader(body))
			if err != nil {
				results[i].err = err
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			results[i].status = resp.StatusCode
			var m map[string]string
			_ = json.Unmarshal(b, &m)
			results[i].refresh = m["refresh"]
		}()
	}
	close(start)
	wg.Wait()

	var got []string
	for i, r := range results {
		switch {
		case r.err != nil:
			t.Errorf("request %d: %v", i, r.err)
		case r.status >= 500:
			t.Errorf("request %d: %d", i, r.status)
		case r.status == http.StatusOK:
			got = append(got, r.refresh)
		}
	}
	if len(got) == 0 {
		t.Fatalf("no request succeeded")
	}
	// All of them are inside the grace interval: one chain, one successor.
	for _, g := range got[1:] {
		if g != got[0] {
			t.Errorf("concurrent refreshes forked the session into several refresh tokens")
			break
		}
	}
	p := pairOf(t, refresh(s, got[0]))
	wantStatus(t, profile(s, p.Access), http.StatusOK)
}

func TestRefreshTokenExpires(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"AUTH_ACCESS_TTL": "1m", "AUTH_REFRESH_TTL": "5m"})
	p, _ := s.NewUser("lapsed")
	s.Clock.Advance(4 * time.Minute)
	p1 := pairOf(t, refresh(s, p.Refresh)) // rotation extends the session
	s.Clock.Advance(4 * time.Minute)
	p2 := pairOf(t, refresh(s, p1.Refresh))
	s.Clock.Advance(6 * time.Minute)
	wantTokenInvalid(t, refresh(s, p2.Refresh))
	wantTokenInvalid(t, s.Post(pathVerify, map[string]string{"token": p2.Refresh}))
}
