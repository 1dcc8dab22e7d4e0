package tokens

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Key is one signing or verification key.
type Key struct {
	ID      string // kid
	Alg     string
	method  jwt.SigningMethod
	private any // what SignedString takes; nil for verify-only keys
	public  any // what the keyfunc returns
}

// KeySet is the signing key plus every key tokens may still be verified with
// (the signing key included), indexed by kid.
type KeySet struct {
	Signing   *Key
	Verifying map[string]*Key
}

// NewHMACKey returns an HS256 key for secret. Its kid is derived from the
// secret with a one-way hash, so it names the key without revealing it.
func NewHMACKey(secret []byte) *Key {
	sum := sha256.Sum256(append([]byte("authsvc-kid:"), secret...))
	return &Key{
		ID:      base64.RawURLEncoding.EncodeToString(sum[:12]),
		Alg:     "HS256",
		method:  jwt.SigningMethodHS256,
		private: secret,
		public:  secret,
	}
}

// NewKeySet makes a set whose signing key also verifies, plus extra
// verify-only keys.
func NewKeySet(signing *Key, verifyOnly ...*Key) *KeySet {
	ks := &KeySet{Signing: signing, Verifying: map[string]*Key{signing.ID: signing}}
	for _, k := range verifyOnly {
		ks.Verifying[k.ID] = k
	}
	return ks
}

const secretFile = "secret_key"

// LoadOrCreateSecret returns the HS256 secret kept in dir, creating a random
// one (mode 0600) on first use. created tells the caller to warn that the
// secret was generated, so operators know to back it up or set one.
func LoadOrCreateSecret(dir string) (secret string, created bool, err error) {
	path := filepath.Join(dir, secretFile)
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return "", false, fmt.Errorf("secret file %s is shorter than 32 characters", path)
		}
		return s, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("read secret: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, fmt.Errorf("create data folder: %w", err)
	}
	raw := make([]byte, 48)
	if _, err := rand.Read(raw); err != nil {
		return "", false, fmt.Errorf("generate secret: %w", err)
	}
	s := base64.RawURLEncoding.EncodeToString(raw)
	// O_EXCL: if two processes start at once on a fresh folder, one wins and
	// the other reads the winner's secret instead of overwriting it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateSecret(dir)
	}
	if err != nil {
		return "", false, fmt.Errorf("create secret file: %w", err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return "", false, fmt.Errorf("write secret file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", false, fmt.Errorf("sync secret file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", false, fmt.Errorf("close secret file: %w", err)
	}
	return s, true, nil
}
