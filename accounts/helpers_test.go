package accounts_test

// Shared helpers of the service-layer tests (TestSvc*): a real
// accounts.Service on a real store, a SQLite file in t.TempDir() or, with
// AUTH_TEST_POSTGRES_URL set, a PostgreSQL schema of its own
// (helpers_store_test.go), on a clock the test moves instead of sleeping.
// The user actions they share are in helpers_users_test.go.

import (
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"authsvc/accounts"
	"authsvc/apierr"
	"authsvc/internal/testserver"
	"authsvc/models"
	"authsvc/passwords"
	"authsvc/throttle"
	"authsvc/tokens"
)

// The settings every svcEnv starts with; rows change them with svcOptions.
const (
	svcAccessTTL  = 5 * time.Minute
	svcRefreshTTL = 24 * time.Hour
	svcResetTTL   = time.Hour
	svcAPIKeyTTL  = 24 * time.Hour
	svcDeviceTTL  = 30 * 24 * time.Hour
	// svcFailures failed password checks per account (and per device
	// cookie) in one svcWindow.
	svcFailures = 3
	svcWindow   = time.Minute
	// svcPassword passes the password policy for every test user.
	svcPassword = "Tq9!vessel-orbit"
	svcNewPass  = "Brand-new-secret-77q"
	svcResetURL = "https://app.example.test/reset"
)

// svcEnv is a Service with everything it talks to.
type svcEnv struct {
	svc    *accounts.Service
	store  *models.Store
	clock  *testserver.Clock
	outbox *svcOutbox
}

// svcOption changes the Service's options before it is built.
type svcOption func(*accounts.Options)

// svcNoBudget turns the failure budget off (AUTH_THROTTLE=off).
func svcNoBudget(o *accounts.Options) { o.Budget = nil }

// svcKeyTTL sets AUTH_API_KEY_TTL.
func svcKeyTTL(d time.Duration) svcOption { return func(o *accounts.Options) { o.APIKeyTTL = d } }

// newSvcEnv builds a Service on an empty store of its own, closed when t
// ends.
func newSvcEnv(t *testing.T, opts ...svcOption) *svcEnv {
	t.Helper()
	return newSvcEnvOn(t, nil, opts...)
}

// newSvcEnvOn is newSvcEnv with the store from stores (nil: one of its own).
func newSvcEnvOn(t *testing.T, stores *svcStores, opts ...svcOption) *svcEnv {
	t.Helper()
	store := stores.get(t)
	clock := testserver.NewClock()
	tok, err := tokens.New(tokens.Options{
		Keys: tokens.NewKeySet(tokens.NewHMACKey([]byte(testserver.Secret))), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e := &svcEnv{store: store, clock: clock, outbox: &svcOutbox{}}
	o := accounts.Options{
		Store: store, Tokens: tok, Policy: passwords.NewPolicy(),
		Hasher: passwords.NewHasher(testserver.FastHash, 0),
		Now:    clock.Now, Log: slog.New(slog.DiscardHandler),
		AccessTTL: svcAccessTTL, RefreshTTL: svcRefreshTTL, ReuseGrace: 10 * time.Second,
		Secret:    []byte(testserver.Secret),
		Reset:     accounts.ResetOptions{Outbox: e.outbox, URL: svcResetURL, TTL: svcResetTTL},
		APIKeyTTL: svcAPIKeyTTL, DeviceTTL: svcDeviceTTL, Budget: svcBudget(clock),
	}
	for _, opt := range opts {
		opt(&o)
	}
	e.svc = accounts.New(o)
	return e
}

// svcBudget is the failure budget app builds, in memory on clock.
func svcBudget(clock *testserver.Clock) *throttle.Budget {
	rule := throttle.Rule{Limit: svcFailures, Window: svcWindow}
	return &throttle.Budget{Limiter: throttle.NewMemory(clock.Now, 0), Now: clock.Now,
		Rules: map[string]throttle.Rule{
			accounts.BudgetUser: rule, accounts.BudgetDevice: rule,
			accounts.BudgetAccountDevices: {Limit: accounts.DeviceBudgetFactor * svcFailures, Window: svcWindow},
		}}
}

// svcRow is one row of a service table: setup makes the state (and returns
// what call needs), the clock moves by advance, then call's error must be
// want (nil: success), compared by status and code (and field names for a
// 400). check, if set, looks at the state after a call that answered as
// wanted.
type svcRow[S any] struct {
	name    string
	opts    []svcOption
	setup   func(t *testing.T, e *svcEnv) S
	advance time.Duration
	call    func(t *testing.T, e *svcEnv, s S) error
	want    *apierr.Error
	check   func(t *testing.T, e *svcEnv, s S)
}

// svcRun runs rows in parallel, each on an env of its own (on PostgreSQL,
// with a store emptied by an earlier row; see svcStores).
func svcRun[S any](t *testing.T, rows []svcRow[S]) {
	t.Helper()
	stores := newSvcStores(t)
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			e := newSvcEnvOn(t, stores, r.opts...)
			var s S
			if r.setup != nil {
				s = r.setup(t, e)
			}
			e.clock.Advance(r.advance)
			svcCheck(t, r.call(t, e, s), r.want)
			if r.check != nil {
				r.check(t, e, s)
			}
		})
	}
}

// svcCheck fails t unless err is want: nil for success, else an
// *apierr.Error with want's status and code and, for a validation error,
// errors on the same fields.
func svcCheck(t *testing.T, err error, want *apierr.Error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("got %v, want success", err)
		}
		return
	}
	got, ok := apierr.As(err)
	if !ok || got.Status != want.Status || got.Code != want.Code ||
		!slices.Equal(slices.Sorted(maps.Keys(got.Fields)), slices.Sorted(maps.Keys(want.Fields))) {
		t.Fatalf("got %v, want %v", err, want)
	}
}

// svcInvalid is a 400 with errors on fields.
func svcInvalid(fields ...string) *apierr.Error {
	e := &apierr.Error{Status: http.StatusBadRequest, Code: apierr.CodeInvalid, Fields: map[string][]string{}}
	for _, f := range fields {
		e.Fields[f] = []string{"any"}
	}
	return e
}

// svcField is a present field, or a missing one for "".
func svcField(v string) accounts.Field {
	if v == "" {
		return accounts.Field{}
	}
	return accounts.Str(v)
}

// svcThrottled is the 429 of a spent failure budget.
var svcThrottled = apierr.Throttled(1)

// svcEnded is Authenticate's answer for a session that was ended.
var svcEnded = apierr.AccessTokenInvalid(apierr.MsgTokenBlacklisted)
