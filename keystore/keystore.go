// Package keystore keeps the asymmetric signing keys in the database so that
// every instance signs with the same current key and verifies with the same
// set, and a rotation made anywhere (authsvc keys rotate) reaches every
// instance within a poll interval, without restart. Private keys are stored
// sealed with AES-256-GCM under a key derived from AUTH_SECRET_KEY with
// HKDF, so every instance needs the same AUTH_SECRET_KEY and a database dump
// alone does not give the keys away.
package keystore

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"authsvc/models"
	"authsvc/tokens"
)

// Options configure a Keystore.
type Options struct {
	DB  *models.Store
	Alg string // RS256, ES256 or EdDSA
	// Secret is AUTH_SECRET_KEY (shared by every instance).
	Secret []byte
	// MaxTokenLife is how long a token may stay valid after it is signed
	// (the longer TTL plus leeway): a retired key keeps verifying that long.
	MaxTokenLife time.Duration
	Now          func() time.Time
	Log          *slog.Logger
}

// Keystore reads and changes the key table.
type Keystore struct {
	o    Options
	aead cipher.AEAD

	mu     sync.Mutex
	parsed map[string]*tokens.Key // by kid: decrypting and parsing is done once per key
	seen   string                 // fingerprint of the last key set handed out
}

// New derives the sealing key and returns a Keystore.
func New(o Options) (*Keystore, error) {
	if !tokens.IsAsymmetric(o.Alg) {
		return nil, fmt.Errorf("keystore: %s is not an asymmetric algorithm", o.Alg)
	}
	if len(o.Secret) == 0 {
		return nil, fmt.Errorf("keystore: no secret to seal private keys with")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	kek, err := hkdf.Key(sha256.New, o.Secret, nil, "authsvc signing-key sealing v1", 32)
	if err != nil {
		return nil, fmt.Errorf("keystore: derive sealing key: %w", err)
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	return &Keystore{o: o, aead: aead, parsed: map[string]*tokens.Key{}}, nil
}

// Bootstrap makes sure a current key exists. With keyFile set, that key is
// imported and becomes current unless it is already stored (so replacing
// the file and restarting is also a rotation). Without it, the first
// instance to start generates a key and the others use it.
func (k *Keystore) Bootstrap(ctx context.Context, keyFile string) error {
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
		if len(rows) > 0 && rows[0].RetiredAt == nil {
			return nil
		}
		if priv, err = tokens.GenerateKey(k.o.Alg); err != nil {
			return fmt.Errorf("generate %s key: %w", k.o.Alg, err)
		}
	}
	key, err := k.add(ctx, priv, onlyIfNone)
	if errors.Is(err, models.ErrKeyExists) {
		return nil
	}
	if err != nil {
		return err
	}
	k.o.Log.Info("new signing key is current", "kid", key.ID, "alg", key.Alg)
	return nil
}

// Rotate makes a freshly generated key current. The previous current key
// keeps verifying (and stays in the JWKS) for MaxTokenLife.
func (k *Keystore) Rotate(ctx context.Context) (*tokens.Key, error) {
	priv, err := tokens.GenerateKey(k.o.Alg)
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", k.o.Alg, err)
	}
	return k.add(ctx, priv, false)
}

func (k *Keystore) add(ctx context.Context, priv crypto.Signer, onlyIfNone bool) (*tokens.Key, error) {
	key, err := tokens.NewAsymmetricKey(k.o.Alg, priv)
	if err != nil {
		return nil, err
	}
	jwk, _ := key.PublicJWK()
	pub, err := json.Marshal(jwk)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	pemBytes, err := tokens.MarshalPrivateKeyPEM(priv)
	if err != nil {
		return nil, err
	}
	now := k.o.Now().UTC()
	row := &models.SigningKey{KID: key.ID, Alg: key.Alg, PublicJWK: string(pub),
		PrivateKey: k.seal(pemBytes, key.ID), CreatedAt: now}
	if err := k.o.DB.AddSigningKey(ctx, row, onlyIfNone, now, now.Add(k.o.MaxTokenLife)); err != nil {
		return nil, err
	}
	return key, nil
}

// seal encrypts a private key; the kid is authenticated data, so a sealed
// key copied onto another row does not open.
func (k *Keystore) seal(plain []byte, kid string) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("keystore: no randomness: %v", err)) // crypto/rand never fails on supported systems
	}
	return k.aead.Seal(nonce, nonce, plain, []byte(kid))
}

func (k *Keystore) open(sealed []byte, kid string) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return nil, fmt.Errorf("sealed key %s is truncated", kid)
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(kid))
	if err != nil {
		return nil, fmt.Errorf("cannot decrypt signing key %s: is AUTH_SECRET_KEY the same on every instance?", kid)
	}
	return plain, nil
}

// Load builds the key set in force at now: the newest current key signs;
// it and every retired key still inside its NotAfter verify. changed is
// false when the set is the same as the one Load returned last time.
func (k *Keystore) Load(ctx context.Context) (ks *tokens.KeySet, changed bool, err error) {
	rows, err := k.o.DB.SigningKeys(ctx, k.o.Alg, k.o.Now(), false)
	if err != nil {
		return nil, false, err
	}
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
		fmt.Fprintf(&fp, "%s:%t;", r.KID, r.RetiredAt == nil)
		if signing == nil && r.RetiredAt == nil {
			signing = key
		} else {
			verify = append(verify, key)
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
func (k *Keystore) parse(r *models.SigningKey) (*tokens.Key, error) {
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
func (k *Keystore) Sync(ctx context.Context, svc *tokens.Service) error {
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

// Watch calls Sync every interval until ctx ends. One small indexed query a
// second per instance is the price of picking up a rotation within two
// seconds with no extra infrastructure; a failed poll keeps the keys in
// force and is retried on the next tick.
func (k *Keystore) Watch(ctx context.Context, svc *tokens.Service, every time.Duration) {
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
		}
	}
}
