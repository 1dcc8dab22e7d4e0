// Package sealing encrypts small secrets at rest (private signing keys, TOTP
// secrets) with AES-256-GCM under a key derived from AUTH_SECRET_KEY with
// HKDF. Each use names its own label, so the key that seals one kind of
// secret never opens another, and a database dump alone gives nothing away.
package sealing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// ErrOpen is a sealed value that does not open: another AUTH_SECRET_KEY,
// another row's value copied in, or a damaged one.
var ErrOpen = errors.New("sealed value does not open")

// Box seals and opens values under one derived key.
type Box struct {
	aead cipher.AEAD
}

// New derives the key for label from secret.
func New(secret []byte, label string) (*Box, error) {
	if len(secret) == 0 {
		return nil, fmt.Errorf("sealing %q: no secret", label)
	}
	kek, err := hkdf.Key(sha256.New, secret, nil, label, 32)
	if err != nil {
		return nil, fmt.Errorf("sealing %q: derive key: %w", label, err)
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("sealing %q: %w", label, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealing %q: %w", label, err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plain; ad (the row's identity, such as a kid or a user id)
// is authenticated, so a sealed value copied onto another row does not open.
// The output is nonce || ciphertext.
func (b *Box) Seal(plain, ad []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("sealing: no randomness: %v", err)) // crypto/rand never fails on supported systems
	}
	return b.aead.Seal(nonce, nonce, plain, ad)
}

// Open decrypts what Seal returned for the same ad.
func (b *Box) Open(sealed, ad []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, sealed[:n], sealed[n:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
