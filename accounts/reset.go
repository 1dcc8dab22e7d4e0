package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"authsvc/apierr"
	"authsvc/config"
	"authsvc/mail"
	"authsvc/models"
)

// ResetOptions configure password reset by email.
type ResetOptions struct {
	// Outbox takes the reset messages (a mail.Queue); nil: none are sent.
	Outbox Outbox
	// URL is the frontend page that takes the token (AUTH_RESET_URL); the
	// link is URL?token=<token>.
	URL string
	// TTL is how long a token is valid (AUTH_RESET_TTL).
	TTL time.Duration
}

// Outbox runs a message's preparation and delivery off the request path.
type Outbox interface {
	Submit(kind string, build mail.Build) bool
}

// msgResetInvalid is the one answer for a wrong, used, expired or void token,
// so the answer does not say which.
const msgResetInvalid = "Invalid or expired token."

// resetTokenBytes is the entropy of a reset token: 256 bits.
const resetTokenBytes = 32

// maxLiveResetTokens bounds the links a user can have outstanding, so that
// whoever knows an address cannot flood its inbox (the throttle bounds the
// rate; this bounds the total within one TTL).
const maxLiveResetTokens = 3

// RequestPasswordReset sends a reset link to the user with this address, if
// there is an active one with a usable password. The caller answers the same
// whatever happened: nothing here tells the client whether the address is
// known, and a failure to store the token or send the mail is logged only.
//
// On the request path both cases do the same work apart from the lookup: a
// token is generated and hashed either way, and for a known user storing it
// and rendering the message are handed to the mail worker (a channel send),
// so the time of a database write does not tell which addresses exist.
func (s *Service) RequestPasswordReset(ctx context.Context, email Field) error {
	addr, err := requiredEmail(email)
	if err != nil {
		return err
	}
	token, hash := newResetToken()
	u, err := s.o.Store.UserByEmailKey(ctx, emailKey(addr))
	if err != nil {
		if !errors.Is(err, models.ErrNotFound) {
			s.o.Log.ErrorContext(ctx, "password reset: look up user", "err", err)
		}
		return nil
	}
	if !u.IsActive || !usablePassword(u.PasswordHash) {
		return nil
	}
	if s.o.Email.Mode == config.EmailRequired && !u.EmailVerified {
		// Required verification: only a proven address gets a reset link.
		return nil
	}
	if s.o.Reset.Outbox == nil {
		s.o.Log.WarnContext(ctx, "password reset: no mailer configured; nothing sent", "user_id", u.ID)
		return nil
	}
	now := s.now()
	// The worker logs without the request's id; carry the user id instead.
	log := s.o.Log.With("user_id", u.ID)
	s.o.Reset.Outbox.Submit(mail.KindPasswordReset, func(ctx context.Context) (mail.Message, bool, error) {
		m, ok, err := s.prepareReset(ctx, log, u, token, hash, now)
		if err != nil {
			err = fmt.Errorf("password reset for user %d: %w", u.ID, err)
		}
		return m, ok, err
	})
	return nil
}

// prepareReset stores the token and renders the message (on the mail worker).
func (s *Service) prepareReset(ctx context.Context, log *slog.Logger, u *models.User, token, hash string, now time.Time) (mail.Message, bool, error) {
	live, err := s.o.Store.LiveResetTokens(ctx, u.ID, now)
	if err != nil {
		return mail.Message{}, false, err
	}
	if live >= maxLiveResetTokens {
		log.Warn("password reset: too many outstanding links; none sent")
		return mail.Message{}, false, nil
	}
	ttl := s.o.Reset.TTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	link, err := resetLink(s.o.Reset.URL, token)
	if err != nil {
		return mail.Message{}, false, fmt.Errorf("AUTH_RESET_URL: %w", err)
	}
	msg, err := mail.ResetMessage(u.Email, mail.ResetData{Username: u.Username, Link: link, Valid: ttl}, now)
	if err != nil {
		return mail.Message{}, false, err
	}
	row := &models.PasswordResetToken{
		Hash: hash, UserID: u.ID, PasswordFingerprint: passwordFingerprint(u),
		CreatedAt: now, ExpiresAt: now.Add(ttl),
	}
	if err := s.o.Store.CreateResetToken(ctx, row, now); err != nil {
		return mail.Message{}, false, err
	}
	log.Info("password reset link issued")
	return msg, true, nil
}

// ResetConfirmInput is the reset confirmation body.
type ResetConfirmInput struct {
	Token, NewPassword Field
}

// ConfirmPasswordReset checks the token, applies the password policy, sets
// the new password and ends every session and API key of the user. Checks
// and hashing come first; then one transaction consumes the token and sets
// the password, conditional on the token being unused and the user still
// having the password and address the link was issued for, so of two
// concurrent confirms exactly one succeeds, a password changed meanwhile is
// never overwritten, and no failure can use up the token but keep the old
// password.
func (s *Service) ConfirmPasswordReset(ctx context.Context, in ResetConfirmInput) error {
	var v apierr.Validation
	token, _ := required(&v, "token", in.Token)
	pw, _ := required(&v, "new_password", in.NewPassword)
	if err := v.Err(); err != nil {
		return err
	}
	invalid := apierr.Field("token", msgResetInvalid)
	if len(token) > 128 {
		return invalid
	}
	hash := hashResetToken(token)
	row, err := s.o.Store.ResetTokenByHash(ctx, hash)
	if errors.Is(err, models.ErrNotFound) {
		return invalid
	}
	if err != nil {
		return internal("password reset", err)
	}
	now := s.now()
	if row.UsedAt != nil || !now.Before(row.ExpiresAt) {
		return invalid
	}
	u, err := s.o.Store.UserByID(ctx, row.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return invalid
	}
	if err != nil {
		return internal("password reset", err)
	}
	fp := passwordFingerprint(u)
	if !u.IsActive || fp != row.PasswordFingerprint {
		return invalid
	}
	for _, msg := range s.o.Policy.Check(pw, u.Username, u.Email) {
		v.Add("new_password", msg)
	}
	if err := v.Err(); err != nil {
		return err
	}
	// Hash before writing anything: the slow, fallible step must not sit
	// between consuming the token and setting the password.
	newHash, err := s.o.Hasher.Hash(ctx, pw)
	if err != nil {
		return internal("hash password", err)
	}
	if h := s.o.Hooks.ResetValidated; h != nil {
		h(ctx, u.ID)
	}
	done, err := s.o.Store.ResetPassword(ctx, models.PasswordReset{
		TokenHash: hash, Fingerprint: fp, UserID: u.ID,
		OldHash: u.PasswordHash, OldEmail: u.Email, NewHash: newHash,
		Reason: models.ReasonPasswordReset, Now: now,
	})
	if err != nil {
		return internal("password reset", err)
	}
	if !done {
		// Used by a concurrent confirm, or the password, address or active
		// flag changed since it was checked above: the link was issued for
		// credentials the user no longer has.
		return invalid
	}
	s.o.Log.InfoContext(ctx, "password reset completed", "user_id", u.ID)
	s.notify(ctx, u, Notice{Kind: mail.KindPasswordChanged})
	return nil
}

// newResetToken returns a random token for the link and the hash stored.
func newResetToken() (token, hash string) {
	var b [resetTokenBytes]byte
	_, _ = rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashResetToken(token)
}

func hashResetToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// passwordFingerprint digests the stored password hash and the email address,
// so a token row can say which credentials it was issued against without
// holding the hash itself. A link dies when either changes: a new password
// makes it stale, and a new address means the old mailbox must not still be
// able to take the account over.
func passwordFingerprint(u *models.User) string {
	sum := sha256.Sum256([]byte("reset-fingerprint\x00" + u.PasswordHash + "\x00" + strings.ToLower(u.Email)))
	return hex.EncodeToString(sum[:])
}

// usablePassword is false for Django's unusable passwords ("!...") and an
// empty hash: as in Django, such accounts get no reset mail.
func usablePassword(hash string) bool {
	return hash != "" && !strings.HasPrefix(hash, "!")
}

// resetLink appends the token to the frontend page's URL.
func resetLink(base, token string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL", base)
	}
	q := u.Query()
	q.Set("token", token)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
