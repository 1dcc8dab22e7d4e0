// Package signingkeys keeps the asymmetric signing keys in the database so that
// every instance signs with the same current key and verifies with the same
// set, and a rotation made anywhere (authsvc signing-keys rotate) reaches every
// instance without restart and without a single refused token: a new key is
// published at once and signs only PublishDelay later, by when every
// instance's poller has loaded it; an instance that meets a kid it does not
// know re-reads the keys once (rate-limited) before refusing. Private keys are stored
// sealed with AES-256-GCM under a key derived from AUTH_SECRET_KEY with
// HKDF, so every instance needs the same AUTH_SECRET_KEY and a database dump
// alone does not give the keys away.
package signingkeys

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"authsvc/models"
	"authsvc/sealing"
	"authsvc/tokens"
)

// Options configure a Store.
type Options struct {
	DB  *models.Store
	Alg string // RS256, ES256 or EdDSA
	// Secret is AUTH_SECRET_KEY (shared by every instance).
	Secret []byte
	// MaxTokenLife is how long a token may stay valid after it is signed
	// (the longer TTL plus leeway): a retired key keeps verifying that long.
	MaxTokenLife time.Duration
	// PublishDelay is how long a rotated-in key is published (verifies
	// everywhere, in the JWKS) before it signs: a few poll intervals, so
	// every instance has loaded it first. "signing-keys rotate --now" skips it.
	PublishDelay time.Duration
	Now          func() time.Time
	Log          *slog.Logger
}

// UnknownKIDReloadEvery is the least time between two reloads caused by
// tokens with a kid this instance does not know: enough to pick up a key
// made elsewhere a moment ago, while a flood of tokens with made-up kids
// costs the database at most one small query a second.
const UnknownKIDReloadEvery = time.Second

// Store reads and changes the key table.
type Store struct {
	o   Options
	box *sealing.Box

	mu     sync.Mutex
	parsed map[string]*tokens.Key // by kid: decrypting and parsing is done once per key
	seen   string                 // fingerprint of the last key set handed out

	// Unknown-kid reloads: one flight at a time, shared by every caller
	// waiting on it, and none within UnknownKIDReloadEvery of the last.
	flight     singleflight.Group
	lastReload time.Time // guarded by mu
	reloads    atomic.Int64
}

// New derives the sealing key and returns a Store.
func New(o Options) (*Store, error) {
	if !tokens.IsAsymmetric(o.Alg) {
		return nil, fmt.Errorf("signingkeys: %s is not an asymmetric algorithm", o.Alg)
	}
	if len(o.Secret) == 0 {
		return nil, fmt.Errorf("signingkeys: no secret to seal private keys with")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	// The label is the one every stored key was sealed under: keep it.
	box, err := sealing.New(o.Secret, "authsvc signing-key sealing v1")
	if err != nil {
		return nil, fmt.Errorf("signingkeys: %w", err)
	}
	return &Store{o: o, box: box, parsed: map[string]*tokens.Key{}}, nil
}

// Bootstrap makes sure a current key exists. With keyFile set, that key is
// imported and becomes current unless it is already stored (so replacing
// the file and restarting is also a rotation). Without it, the first
// instance to start generates a key and the others use it.
func (k *Store) Bootstrap(ctx context.Context, keyFile string) error {
	var priv crypto.Signer
	onlyIfNone := keyFile == ""
	if keyFile != "" {
		pemBytes, err := os.ReadFile(keyFile)
		if err != nil {
			return fmt.Errorf("AUTH_SIGNING_KEY_FILE: %w", err)
		}
		if priv, err = tokens.ParsePrivateKeyPEM(pemBytes); err != nil {
			return fmt.Errorf("AUTH_SIGNING_KEY_FILE %s: %w", keyFile, err)
		}
	} else {
		rows, err := k.o.DB.SigningKeys(ctx, k.o.Alg, k.o.Now(), false)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(rows, func(r models.SigningKey) bool { return r.RetiredAt == nil }) {
			return nil
		}
		if priv, err = tokens.GenerateKey(k.o.Alg); err != nil {
			return fmt.Errorf("generate %s key: %w", k.o.Alg, err)
		}
	}
	// The first key, or an imported one (replacing the file and restarting
	// is an emergency rotation): signs at once; instances that have not
	// loaded it yet reload on its unknown kid.
	key, err := k.add(ctx, priv, onlyIfNone, k.o.Now())
	if errors.Is(err, models.ErrKeyExists) {
		return nil
	}
	if err != nil {
		return err
	}
	k.o.Log.Info("new signing key is current", "kid", key.ID, "alg", key.Alg)
	return nil
}

// Rotate stores a freshly generated key that is published now and signs
// from the returned time on: PublishDelay ahead, or now with immediate (an
// emergency; instances that have not loaded it yet reload on its unknown
// kid, so tokens still verify). The previous key signs until then, and
// keeps verifying (and stays in the JWKS) for MaxTokenLife after.
func (k *Store) Rotate(ctx context.Context, immediate bool) (*tokens.Key, time.Time, error) {
	from := k.o.Now()
	if !immediate {
		from = from.Add(k.o.PublishDelay)
	}
	key, err := k.add(ctx, nil, false, from)
	return key, from.UTC().Truncate(time.Second), err
}

// Retire drops key kid at once (see models.RetireSigningKey) and returns the
// kid that signs from now on. Every instance stops accepting tokens signed
// with kid at its next poll; this one at once.
func (k *Store) Retire(ctx context.Context, kid string) (string, error) {
	fresh, _, err := k.row(nil)
	if err != nil {
		return "", err
	}
	signer, err := k.o.DB.RetireSigningKey(ctx, k.o.Alg, kid, k.o.Now(), k.o.MaxTokenLife, fresh)
	if err != nil {
		return "", fmt.Errorf("retire %s: %w", kid, err)
	}
	return signer, nil
}

func (k *Store) add(ctx context.Context, priv crypto.Signer, onlyIfNone bool, from time.Time) (*tokens.Key, error) {
	row, key, err := k.row(priv)
	if err != nil {
		return nil, err
	}
	// Whole seconds: a database that stores microseconds and rounds (as
	// PostgreSQL does) must not push the signing time past the clock that
	// chose it, and "signs from" prints exactly.
	from = from.UTC().Truncate(time.Second)
	row.NotBefore = &from
	if err := k.o.DB.AddSigningKey(ctx, row, onlyIfNone, from.Add(k.o.MaxTokenLife)); err != nil {
		return nil, err
	}
	return key, nil
}

// row seals priv (nil: a freshly generated key) into a table row created now.
func (k *Store) row(priv crypto.Signer) (*models.SigningKey, *tokens.Key, error) {
	if priv == nil {
		var err error
		if priv, err = tokens.GenerateKey(k.o.Alg); err != nil {
			return nil, nil, fmt.Errorf("generate %s key: %w", k.o.Alg, err)
		}
	}
	key, err := tokens.NewAsymmetricKey(k.o.Alg, priv)
	if err != nil {
		return nil, nil, err
	}
	jwk, _ := key.PublicJWK()
	pub, err := json.Marshal(jwk)
	if err != nil {
		return nil, nil, fmt.Errorf("encode public key: %w", err)
	}
	pemBytes, err := tokens.MarshalPrivateKeyPEM(priv)
	if err != nil {
		return nil, nil, err
	}
	return &models.SigningKey{KID: key.ID, Alg: key.Alg, PublicJWK: string(pub),
		PrivateKey: k.seal(pemBytes, key.ID), CreatedAt: k.o.Now().UTC()}, key, nil
}

// seal encrypts a private key; the kid is authenticated data, so a sealed
// key copied onto another row does not open.
func (k *Store) seal(plain []byte, kid string) []byte { return k.box.Seal(plain, []byte(kid)) }

func (k *Store) open(sealed []byte, kid string) ([]byte, error) {
	plain, err := k.box.Open(sealed, []byte(kid))
	if err != nil {
		return nil, fmt.Errorf("cannot decrypt signing key %s: is AUTH_SECRET_KEY the same on every instance?", kid)
	}
	return plain, nil
}
