package app

import (
	"context"
	"fmt"
	"time"

	"authsvc/config"
	"authsvc/models"
	"authsvc/signingkeys"
	"authsvc/tokens"
)

// KeyPollInterval is how often every instance re-reads the signing keys, so
// a key published anywhere is known everywhere within about a second. The
// default AUTH_KEY_PUBLISH_DELAY (config.DefaultKeyPublishDelay) is five of
// these: a rotated-in key signs only once every instance has had five
// chances to load it.
const KeyPollInterval = time.Second

// signingKeys builds the key set for cfg.SigningAlg: the HS256 secret, or the
// database key store (bootstrapped from AUTH_SIGNING_KEY_FILE or a generated
// key) for the asymmetric algorithms.
func signingKeys(ctx context.Context, cfg config.Config, store *models.Store, secret string, o Options) (*tokens.KeySet, *signingkeys.Store, error) {
	if !tokens.IsAsymmetric(cfg.SigningAlg) {
		return tokens.NewKeySet(tokens.NewHMACKey([]byte(secret))), nil, nil
	}
	life := max(cfg.AccessTTL, cfg.RefreshTTL) + cfg.Leeway
	ks, err := signingkeys.New(signingkeys.Options{DB: store, Alg: cfg.SigningAlg, Secret: []byte(secret),
		MaxTokenLife: life, PublishDelay: cfg.KeyPublishDelay, Now: o.Now, Log: o.Log})
	if err != nil {
		return nil, nil, err
	}
	if err := ks.Bootstrap(ctx, cfg.SigningKeyFile); err != nil {
		return nil, nil, fmt.Errorf("signing keys: %w", err)
	}
	set, _, err := ks.Load(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("signing keys: %w", err)
	}
	return set, ks, nil
}

// watchKeys starts the key poller (calling polled, if set, after each poll);
// Close stops it before the store closes.
func (a *App) watchKeys(polled func()) {
	if a.SigningKeys == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.SigningKeys.Watch(ctx, a.Tokens, KeyPollInterval, polled)
	}()
	a.stopKeys = func() { cancel(); <-done }
}

// ReloadKeys re-reads the signing keys now instead of at the next poll
// (tests, after moving the clock or rotating). No-op for HS256.
func (a *App) ReloadKeys(ctx context.Context) error {
	if a.SigningKeys == nil {
		return nil
	}
	return a.SigningKeys.Sync(ctx, a.Tokens)
}
