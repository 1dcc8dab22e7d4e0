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
	"time"

	"authsvc/accounts"
	"authsvc/config"
	"authsvc/handlers"
	"authsvc/models"
	"authsvc/passwords"
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
	Log      *slog.Logger
}

// Options tune New beyond the Config (tests).
type Options struct {
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// HashParams overrides the argon2id parameters (tests use cheap ones).
	HashParams *passwords.Params
}

// New opens the database and builds every component.
func New(ctx context.Context, cfg config.Config, o Options) (*App, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	secret := cfg.SecretKey
	if secret == "" {
		s, created, err := tokens.LoadOrCreateSecret(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("secret key: %w", err)
		}
		if created {
			o.Log.Warn("AUTH_SECRET_KEY is not set: generated a random secret and kept it in the data folder; back it up, or set AUTH_SECRET_KEY, or every token is invalid once it is lost",
				"path", cfg.DataDir+"/secret_key")
		}
		secret = s
	}
	driver, dsn, err := cfg.Database()
	if err != nil {
		return nil, err
	}
	store, err := models.Open(ctx, models.Options{Driver: driver, DSN: dsn, Synchronous: cfg.SQLiteSynchronous, Log: o.Log})
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Store: store, Log: o.Log}
	if cfg.SigningAlg != "HS256" {
		store.Close()
		return nil, fmt.Errorf("AUTH_SIGNING_ALG %s is not supported yet", cfg.SigningAlg)
	}
	a.Tokens, err = tokens.New(tokens.Options{
		Keys:   tokens.NewKeySet(tokens.NewHMACKey([]byte(secret))),
		Issuer: cfg.Issuer, Audience: cfg.Audience, Leeway: cfg.Leeway, Now: o.Now,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	params := passwords.OWASP
	if o.HashParams != nil {
		params = *o.HashParams
	}
	a.Hasher = passwords.NewHasher(params, 0)
	a.Accounts = accounts.New(accounts.Options{
		Store: store, Tokens: a.Tokens, Hasher: a.Hasher, Policy: passwords.NewPolicy(),
		Now: o.Now, Log: o.Log,
		AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL, ReuseGrace: cfg.ReuseGrace,
		Secret: []byte(secret),
	})
	a.Handler, err = handlers.New(handlers.Deps{
		Accounts: a.Accounts, Store: store, Log: o.Log, Now: o.Now,
		TrustedProxies: cfg.TrustedProxies,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	return a, nil
}

// Close releases the database.
func (a *App) Close() error { return a.Store.Close() }
