package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"authsvc/apierr"
	"authsvc/models"
)

// keyBytes is the entropy of an API key: 256 bits, so the key cannot be
// guessed and a plain (unsalted, fast) hash is enough to store it.
const keyBytes = 32

// maxKeyLen bounds what is hashed: anything longer is not one of ours.
const maxKeyLen = 128

// keyPrefixLen is how much of a key is kept in clear, to tell keys apart in
// the list: 8 of its 43 base64 characters leave 210 bits unknown.
const keyPrefixLen = 8

// hashKey is how API keys are stored.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// IssueKey creates a new API key for u and returns it; only its hash is
// kept, so this is the one moment the key can be shown. Every call makes a
// new key (DRF returns the same one again, which needs the key stored).
// ttl is the key's lifetime (0: the configured default, see KeyTTL).
// Over the per-user limit it is ErrKeyLimit. As OpenSession, it writes
// nothing if u's credential version moved since u was read, and answers
// apierr.NoActiveAccount.
func (s *Service) IssueKey(ctx context.Context, u *models.User, ttl time.Duration) (string, error) {
	return s.issueKey(ctx, u, ttl, amrPassword, func(k *models.APIKey) error {
		return s.o.Store.CreateAPIKey(ctx, k, u.CredentialVersion)
	})
}

// issueKey is IssueKey for a login that proved the user by amr (recorded
// with the key), with the write of the key passed in (see openSession).
func (s *Service) issueKey(ctx context.Context, u *models.User, ttl time.Duration, amr []string, write func(*models.APIKey) error) (string, error) {
	var b [keyBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", internal("issue api key", err)
	}
	key := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	k := &models.APIKey{ID: newID(), UserID: u.ID, KeyHash: hashKey(key), Prefix: key[:keyPrefixLen], CreatedAt: now,
		AMR: joinAMR(amr)}
	if ttl <= 0 {
		ttl = s.o.APIKeyTTL
	}
	if ttl > 0 {
		exp := now.Add(ttl)
		k.ExpiresAt = &exp
	}
	if err := write(k); err != nil {
		switch {
		case errors.Is(err, models.ErrAPIKeyLimit):
			return "", ErrKeyLimit
		case errors.Is(err, models.ErrCredentialChanged):
			s.o.Log.InfoContext(ctx, "api key refused: credentials changed while they were checked", "user_id", u.ID)
			return "", apierr.NoActiveAccount
		}
		return "", internal("issue api key", err)
	}
	u.LastLogin = &k.CreatedAt
	return key, nil
}

// RegistrationKey is the key the accounts app's registration hands out
// with the new user: none (nil) while the address must be verified first
// (AUTH_EMAIL_VERIFICATION=required), as a login would refuse one.
func (s *Service) RegistrationKey(ctx context.Context, u *models.User) (*string, error) {
	if s.emailGate(u) != nil {
		return nil, nil
	}
	key, err := s.IssueKey(ctx, u, 0)
	if err != nil {
		return nil, err
	}
	return &key, nil
}

// KeyLogin checks username and password as Credentials does (same cost for
// unknown, wrong and inactive) and issues a key. Failures answer DRF's 400;
// so does a login whose credentials changed while it ran (see IssueKey).
// ttl is as for IssueKey. For a user with a second factor it issues
// nothing: the answer is the challenge (see secondFactor), and flow
// (FlowKey or FlowAccounts) is the shape FinishMFA answers in.
func (s *Service) KeyLogin(ctx context.Context, username, password string, ttl time.Duration, flow string, m Meta) (string, *models.User, error) {
	u, err := s.Credentials(ctx, username, password)
	if err == nil {
		err = s.beforeSession(ctx, u, flow, ttl, m)
	}
	var key string
	if err == nil {
		if key, err = s.IssueKey(ctx, u, ttl); err == nil {
			s.loginEvent("success")
			s.noteSignIn(ctx, u, m)
			return key, u, nil
		}
	}
	if e, ok := apierr.As(err); ok && e == apierr.NoActiveAccount {
		s.loginEvent("failure")
		return "", nil, apierr.BadKeyCredentials
	}
	return "", nil, err
}

// AuthenticateKey is the Token-scheme twin of Authenticate: one indexed
// query for the key and its user, and the same user checks.
func (s *Service) AuthenticateKey(ctx context.Context, key string) (*Principal, error) {
	if len(key) > maxKeyLen {
		return nil, apierr.InvalidKey
	}
	k, err := s.o.Store.APIKeyByHash(ctx, hashKey(key))
	if errors.Is(err, models.ErrNotFound) {
		return nil, apierr.InvalidKey
	}
	if err != nil {
		return nil, internal("authenticate api key", err)
	}
	now := s.now()
	if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		// The same answer as an unknown key: an expired key is no key.
		return nil, apierr.InvalidKey
	}
	if !k.User.IsActive {
		return nil, apierr.UserInactive
	}
	s.o.Hasher.TokenCheck()
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > touchEvery {
		if err := s.o.Store.TouchAPIKey(ctx, k.ID, now); err != nil {
			s.o.Log.WarnContext(ctx, "touch api key failed", "err", err)
		}
	}
	return &Principal{User: *k.User, APIKeyID: k.ID, AMR: splitAMR(k.AMR), staffNeedsMFA: s.o.AdminRequireMFA}, nil
}

// RevokeKey deletes the API key that authenticated p. A request that did not
// come with a key has nothing to revoke: 400.
func (s *Service) RevokeKey(ctx context.Context, p *Principal) error {
	if p.APIKeyID == "" {
		return apierr.KeyRequired
	}
	found, err := s.o.Store.DeleteAPIKey(ctx, p.APIKeyID, p.User.ID)
	if err != nil {
		return internal("revoke api key", err)
	}
	if !found {
		// Revoked by a concurrent request since this one authenticated.
		return apierr.InvalidKey
	}
	return nil
}
