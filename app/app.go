// Package app wires the service together from a Config: store, keys, password
// hasher, account service and HTTP handler. main uses it to serve, the
// management commands to reach the same store, and tests to start the real
// thing on a temporary database.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"authsvc/accounts"
	"authsvc/cleanup"
	"authsvc/config"
	"authsvc/handlers"
	"authsvc/mail"
	"authsvc/metrics"
	"authsvc/middleware"
	"authsvc/models"
	"authsvc/passwords"
	"authsvc/pictures"
	"authsvc/signingkeys"
	"authsvc/tokens"
)

// App is a wired service.
type App struct {
	Config   config.Config
	Store    *models.Store
	Tokens   *tokens.Service
	Hasher   *passwords.Hasher
	Accounts *accounts.Service
	Handler  http.Handler
	Metrics  *metrics.Metrics
	Log      *slog.Logger
	// Pictures stores uploaded profile pictures under a decode memory budget.
	Pictures *pictures.Store
	// Cleanup deletes expired rows; serve runs it in the background.
	Cleanup *cleanup.Job
	// Mail delivers reset messages off the request path; Close drains it.
	Mail *mail.Queue
	// SigningKeys is the database key store for asymmetric algorithms (nil for HS256).
	SigningKeys *signingkeys.Store
	stopKeys    func()
	// Throttle is nil when AUTH_THROTTLE=off.
	Throttle *middleware.Throttle
	redis    *redis.Client
	// countSessions counts the live sessions in the store for the gauge;
	// stopSessions ends the background count.
	countSessions metrics.SessionCounter
	stopSessions  func()
}

// Options tune New beyond the Config (tests).
type Options struct {
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// HashParams overrides the argon2id parameters (tests use cheap ones).
	HashParams *passwords.Params
	// AccountHooks are test seams passed to accounts.Options.Hooks.
	AccountHooks accounts.Hooks
	// ManualKeyReload turns the key poller off: keys are re-read only by
	// ReloadKeys, so a test decides exactly when each instance sees a
	// rotation.
	ManualKeyReload bool
	// AfterKeyPoll, if set, is called by the key poller after each poll,
	// so a test can wait for "the next poll" instead of guessing how long
	// one takes on a busy machine.
	AfterKeyPoll func()
}

// RefreshPendingImports tells the hasher the highest PBKDF2 iteration count
// among imported hashes not yet upgraded, so a failed login costs what a
// check against the slowest of them would (passwords.Hasher.Verify). It runs
// at start and with every cleanup sweep, not per login.
func (a *App) RefreshPendingImports(ctx context.Context) error {
	n, err := a.Store.MaxPendingPBKDF2(ctx)
	if err != nil {
		return fmt.Errorf("count pending imported passwords: %w", err)
	}
	a.Hasher.SetPendingPBKDF2(n)
	return nil
}

// New opens the database and builds every component.
func New(ctx context.Context, cfg config.Config, o Options) (*App, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	driver, dsn, err := dataPlaces(cfg)
	if err != nil {
		return nil, err
	}
	secret, err := loadSecret(cfg, o.Log)
	if err != nil {
		return nil, err
	}
	// Metrics come first: the store reports its group commits to them.
	m, err := metrics.New(prometheus.NewRegistry(), o.Log)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	store, err := models.Open(ctx, models.Options{Driver: driver, DSN: dsn, Synchronous: cfg.SQLiteSynchronous,
		MaxConns: cfg.DBMaxConns, Log: o.Log, RotationObserver: m, Now: o.Now,
		Limits: models.Limits{SessionsPerUser: cfg.MaxSessionsPerUser, APIKeysPerUser: cfg.MaxAPIKeysPerUser}})
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Store: store, Log: o.Log, Metrics: m,
		countSessions: func(ctx context.Context) (int64, error) { return store.CountLiveSessions(ctx, o.Now()) }}
	if err := a.build(ctx, secret, o); err != nil {
		a.Close()
		return nil, err
	}
	if !o.ManualKeyReload {
		a.watchKeys(o.AfterKeyPoll)
	}
	a.watchSessions(ctx)
	return a, nil
}

// build makes everything that sits on the open store, each part given what
// it uses when it is made.
func (a *App) build(ctx context.Context, secret string, o Options) error {
	cfg := a.Config
	if err := a.newTokens(ctx, secret, o); err != nil {
		return err
	}
	params := passwords.OWASP
	if o.HashParams != nil {
		params = *o.HashParams
	}
	a.Hasher = passwords.NewHasher(params, 0)
	if err := a.RefreshPendingImports(ctx); err != nil {
		return err
	}
	var err error
	if a.Mail, err = newMailQueue(cfg, o); err != nil {
		return err
	}
	if a.Throttle, a.redis, err = newThrottle(ctx, cfg, o.Now, a.Metrics); err != nil {
		return err
	}
	a.Pictures = pictures.New(filepath.Join(cfg.DataDir, "media", "profile_pictures"), cfg.PictureDecodeBudget)
	second, err := mfaOptions(cfg.Issuer, secret)
	if err != nil {
		return err
	}
	a.Accounts = accounts.New(accounts.Options{
		Store: a.Store, Tokens: a.Tokens, Hasher: a.Hasher, Policy: passwords.NewPolicy(),
		Now: o.Now, Log: o.Log,
		AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL, ReuseGrace: cfg.ReuseGrace,
		Secret: []byte(secret), Events: a.Metrics,
		Reset: accounts.ResetOptions{Outbox: a.Mail, URL: cfg.ResetURL, TTL: cfg.ResetTTL},
		Email: accounts.EmailOptions{Mode: cfg.EmailVerification, TokenTTL: cfg.EmailTokenTTL,
			URL: cfg.VerifyURL, SecurityMail: cfg.SecurityMail},
		APIKeyTTL: cfg.APIKeyTTL,
		Hooks:     o.AccountHooks,
		Budget:    passwordBudget(cfg, a.Throttle, a.Metrics), DeviceTTL: cfg.DeviceCookieTTL,
		MFA: second, AdminRequireMFA: cfg.AdminRequireMFA,
	})
	a.Cleanup = &cleanup.Job{Store: a.Store, Now: o.Now, Log: o.Log, Pause: 50 * time.Millisecond,
		// Imports run as a separate command and upgrades happen at login:
		// the padding follows both within one cleanup interval.
		Tasks: []func(context.Context) error{a.RefreshPendingImports}}
	a.Handler, err = handlers.New(handlers.Deps{
		Accounts: a.Accounts, Log: o.Log, Now: o.Now,
		TrustedProxies: cfg.TrustedProxies, RequestTimeout: cfg.RequestTimeout,
		Pictures: a.Pictures,
		Tokens:   a.Tokens, Issuer: cfg.Issuer, PublicURL: cfg.PublicURL,
		Throttle: a.Throttle, CORSOrigins: cfg.CORSOrigins,
		Metrics: a.Metrics, MetricsToken: cfg.MetricsToken,
		Cookie: handlers.CookieMode{On: cfg.RefreshCookie, Insecure: cfg.CookieInsecure,
			Origins: cfg.CORSOrigins, MaxAge: cfg.RefreshTTL},
		Limits: handlers.Limits{Refresh: rule(cfg.RefreshRate), Uploads: rule(cfg.UploadRate)},
	})
	return err
}

// newTokens loads the signing keys and builds the token service on them.
func (a *App) newTokens(ctx context.Context, secret string, o Options) error {
	keys, ks, err := signingKeys(ctx, a.Config, a.Store, secret, o)
	if err != nil {
		return err
	}
	a.SigningKeys = ks
	var unknownKID func()
	if ks != nil {
		// a.Tokens is set below, before the handler exists to call this.
		unknownKID = func() { ks.ReloadForUnknownKID(a.Tokens) }
	}
	a.Tokens, err = tokens.New(tokens.Options{
		Keys:   keys,
		Issuer: a.Config.Issuer, Audience: a.Config.Audience, Leeway: a.Config.Leeway, Now: o.Now,
		UnknownKID: unknownKID,
	})
	return err
}

// RefreshSessions recounts the live sessions for the metrics gauge now
// (tests; the service recounts in the background).
func (a *App) RefreshSessions(ctx context.Context) error {
	return a.Metrics.RefreshSessions(ctx, a.countSessions)
}

// watchSessions counts the live sessions once now, then in the background
// every metrics.SessionsInterval; Close stops it before the store closes.
func (a *App) watchSessions(ctx context.Context) {
	if err := a.RefreshSessions(ctx); err != nil {
		a.Log.Warn("count active sessions failed", "err", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Metrics.WatchSessions(ctx, metrics.SessionsInterval, a.countSessions)
	}()
	a.stopSessions = func() { cancel(); <-done }
}

// Close stops the key poller, delivers the mail still queued (for at most
// AUTH_SHUTDOWN_TIMEOUT), then releases the Redis client and the database.
func (a *App) Close() error {
	if a.redis != nil {
		a.redis.Close()
	}
	if a.stopKeys != nil {
		a.stopKeys()
	}
	if a.stopSessions != nil {
		a.stopSessions()
	}
	if a.Mail != nil {
		ctx, cancel := context.WithTimeout(context.Background(), max(a.Config.ShutdownWait, time.Second))
		defer cancel()
		if err := a.Mail.Close(ctx); err != nil {
			a.Log.Error("mail queue not drained", "err", err)
		}
	}
	return a.Store.Close()
}
