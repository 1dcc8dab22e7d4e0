package signingkeys

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"authsvc/models"
	"authsvc/tokens"
)

// Load builds the key set in force at now: every key inside its NotAfter
// verifies (pending ones included: that is publishing them); of those whose
// signing time has come, the newest signs. changed is false when the set is
// the same as the one Load returned last time.
func (k *Store) Load(ctx context.Context) (ks *tokens.KeySet, changed bool, err error) {
	now := k.o.Now()
	rows, err := k.o.DB.SigningKeys(ctx, k.o.Alg, now, false)
	if err != nil {
		return nil, false, err
	}
	slices.SortFunc(rows, models.SigningOrder)
	var signing *tokens.Key
	var verify []*tokens.Key
	var fp strings.Builder
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := range rows {
		r := &rows[i]
		key, err := k.parse(r)
		if err != nil {
			return nil, false, err
		}
		if signing == nil && r.SignsAt(now) {
			signing = key
			fmt.Fprintf(&fp, "%s:signs;", r.KID)
		} else {
			verify = append(verify, key)
			fmt.Fprintf(&fp, "%s;", r.KID)
		}
	}
	if signing == nil {
		return nil, false, fmt.Errorf("no current %s signing key in the database", k.o.Alg)
	}
	changed = fp.String() != k.seen
	k.seen = fp.String()
	return tokens.NewKeySet(signing, verify...), changed, nil
}

// parse decrypts a row once and caches the result (callers hold mu).
func (k *Store) parse(r *models.SigningKey) (*tokens.Key, error) {
	if key := k.parsed[r.KID]; key != nil {
		return key, nil
	}
	plain, err := k.open(r.PrivateKey, r.KID)
	if err != nil {
		return nil, err
	}
	priv, err := tokens.ParsePrivateKeyPEM(plain)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", r.KID, err)
	}
	key, err := tokens.NewAsymmetricKey(r.Alg, priv)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", r.KID, err)
	}
	if key.ID != r.KID {
		return nil, fmt.Errorf("signing key %s: stored kid does not match the key", r.KID)
	}
	k.parsed[r.KID] = key
	return key, nil
}

// Sync loads the key set and installs it in svc when it changed: a
// rotation made elsewhere, or a retired key that reached its NotAfter.
func (k *Store) Sync(ctx context.Context, svc *tokens.Service) error {
	ks, changed, err := k.Load(ctx)
	if err != nil {
		return err
	}
	if !changed {
		return nil
	}
	if err := svc.SetKeys(ks); err != nil {
		return err
	}
	k.o.Log.Info("signing keys reloaded", "current_kid", ks.Signing.ID, "verifying", len(ks.Verifying))
	return nil
}

// ReloadForUnknownKID is tokens.Options.UnknownKID: a token named a kid
// this instance does not know, perhaps a key made a moment ago elsewhere
// (an emergency rotation, a key file imported on another instance). It
// re-reads the keys once before the token is refused: concurrent callers
// share one reload (singleflight), and no reload starts within
// UnknownKIDReloadEvery of the last, so made-up kids cannot hammer the
// database. It returns when the reload (or the decision to skip it) is
// done; the caller then retries with whatever key set is in force.
func (k *Store) ReloadForUnknownKID(svc *tokens.Service) {
	_, _, _ = k.flight.Do("keys", func() (any, error) {
		now := k.o.Now()
		k.mu.Lock()
		if !k.lastReload.IsZero() && now.Sub(k.lastReload) < UnknownKIDReloadEvery {
			k.mu.Unlock()
			return nil, nil
		}
		k.lastReload = now
		k.mu.Unlock()
		k.reloads.Add(1)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := k.Sync(ctx, svc); err != nil {
			k.o.Log.Warn("reload signing keys for an unknown kid failed", "err", err)
		}
		return nil, nil
	})
}

// UnknownKIDReloads is how many reloads unknown kids have caused.
func (k *Store) UnknownKIDReloads() int64 { return k.reloads.Load() }

// Watch calls Sync every interval until ctx ends. One small indexed query a
// second per instance is the price of picking up a rotation within two
// seconds with no extra infrastructure; a failed poll keeps the keys in
// force and is retried on the next tick. polled, if not nil, is called after
// each poll, failed or not (tests wait on it).
func (k *Store) Watch(ctx context.Context, svc *tokens.Service, every time.Duration, polled func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := k.Sync(ctx, svc); err != nil && ctx.Err() == nil {
				k.o.Log.Warn("reload signing keys failed", "err", err)
			}
			if polled != nil {
				polled()
			}
		}
	}
}
