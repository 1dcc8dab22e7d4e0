package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// TestStoredTimesRoundTrip: the date_joined a registration answers is the
// one every later read answers, on both databases. PostgreSQL keeps
// microseconds (rounding the rest), SQLite keeps the text it was given, so
// the service stores times at microsecond precision; DRF also writes
// microseconds. The clock is set to a time with nanoseconds that round up.
func TestStoredTimesRoundTrip(t *testing.T) {
	t.Parallel()
	clock := testserver.NewClock()
	clock.Advance(time.Duration(999_999_999 - clock.Now().Nanosecond()))
	s := testserver.New(t, testserver.Options{Clock: clock})
	r := s.Post(pathRegister, map[string]string{"username": "clocky", "password": strongPassword})
	wantStatus(t, r, http.StatusCreated)
	joined := r.Str(t, "date_joined")
	p := s.Login("clocky", strongPassword)
	got := profile(s, p.Access)
	wantStatus(t, got, http.StatusOK)
	if again := got.Str(t, "date_joined"); again != joined {
		t.Fatalf("date_joined %q at registration, %q when read back", joined, again)
	}
	if ts, err := time.Parse(time.RFC3339Nano, joined); err != nil || ts.Nanosecond()%1000 != 0 {
		t.Fatalf("date_joined %q is not at microsecond precision (%v)", joined, err)
	}
}
