package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"authsvc/apierr"
	"authsvc/config"
	"authsvc/mail"
	"authsvc/models"
)

// EmailOptions configure email ownership (API.md, "Email ownership").
type EmailOptions struct {
	// Mode is AUTH_EMAIL_VERIFICATION: config.EmailOff, EmailOptional or
	// EmailRequired.
	Mode string
	// TokenTTL is how long a link works (AUTH_EMAIL_TOKEN_TTL).
	TokenTTL time.Duration
	// URL is the page that takes the token (AUTH_VERIFY_URL); the link is
	// URL?token=<token>.
	URL string
	// SecurityMail turns the security notices on (AUTH_SECURITY_MAIL).
	SecurityMail bool
}

// maxLiveEmailTokens bounds the links a user can have outstanding (the
// resend throttle bounds the rate; this, the total within one TTL).
const maxLiveEmailTokens = 3

const msgEmailTokenInvalid = "Invalid or expired token."

// verifying reports whether addresses are verified by link at all.
func (s *Service) verifying() bool { return s.o.Email.Mode != config.EmailOff && s.o.Email.Mode != "" }

// emailGate refuses a login of a user whose address is not verified, when
// verification is required. It runs after the password matched, so it
// tells nothing to anyone who does not know the password.
func (s *Service) emailGate(u *models.User) error {
	if s.o.Email.Mode == config.EmailRequired && !u.EmailVerified {
		return apierr.EmailNotVerified
	}
	return nil
}

// sendVerification mails a link proving addr to u: the account's address,
// or (change) the address it asked to change to. Storing the token and
// rendering the mail run on the mail worker, as for reset; a failure is
// logged, never answered.
func (s *Service) sendVerification(ctx context.Context, u *models.User, addr string, change bool) {
	if s.o.Reset.Outbox == nil {
		s.o.Log.WarnContext(ctx, "email verification: no mailer configured; nothing sent", "user_id", u.ID)
		return
	}
	token, hash := newResetToken()
	now := s.now()
	log := s.o.Log.With("user_id", u.ID)
	username := u.Username
	s.o.Reset.Outbox.Submit(mail.KindVerifyEmail, func(ctx context.Context) (mail.Message, bool, error) {
		m, ok, err := s.prepareVerification(ctx, log, u.ID, username, addr, change, token, hash, now)
		if err != nil {
			err = fmt.Errorf("email verification for user %d: %w", u.ID, err)
		}
		return m, ok, err
	})
}

// prepareVerification stores the token and renders the message (on the
// mail worker).
func (s *Service) prepareVerification(ctx context.Context, log *slog.Logger, userID int64, username, addr string, change bool, token, hash string, now time.Time) (mail.Message, bool, error) {
	link, err := resetLink(s.o.Email.URL, token)
	if err != nil {
		return mail.Message{}, false, fmt.Errorf("AUTH_VERIFY_URL: %w", err)
	}
	msg, err := mail.VerifyMessage(addr, mail.VerifyData{Username: username, Link: link, Valid: s.o.Email.TokenTTL, Change: change}, now)
	if err != nil {
		return mail.Message{}, false, err
	}
	row := &models.EmailToken{Hash: hash, UserID: userID, Email: addr, Change: change,
		CreatedAt: now, ExpiresAt: now.Add(s.o.Email.TokenTTL)}
	created, err := s.o.Store.CreateEmailToken(ctx, row, maxLiveEmailTokens)
	if err != nil {
		return mail.Message{}, false, err
	}
	if !created {
		log.Warn("email verification: too many outstanding links; none sent")
		return mail.Message{}, false, nil
	}
	log.Info("email verification link issued", "change", change)
	return msg, true, nil
}

// VerifyEmail uses a link's token: the address it proves becomes the
// user's verified address. It returns the user as it is now.
func (s *Service) VerifyEmail(ctx context.Context, token Field) (*models.User, error) {
	var v apierr.Validation
	raw, ok := required(&v, "token", token)
	if !ok {
		return nil, v.Err()
	}
	invalid := apierr.Field("token", msgEmailTokenInvalid)
	if len(raw) > 128 {
		return nil, invalid
	}
	t, err := s.o.Store.EmailTokenByHash(ctx, hashResetToken(raw))
	if errors.Is(err, models.ErrNotFound) {
		return nil, invalid
	}
	if err != nil {
		return nil, internal("verify email", err)
	}
	if t.Change && !s.verifying() {
		// Changes apply at once with verification off; a link from
		// before must not undo a later change.
		return nil, invalid
	}
	err = s.o.Store.UseEmailToken(ctx, t, emailKey(t.Email), s.now())
	switch {
	case errors.Is(err, models.ErrTokenVoid):
		return nil, invalid
	case errors.Is(err, models.ErrEmailTaken):
		// Checked here and not when the change was asked for, so that the
		// profile endpoint does not tell which addresses exist.
		return nil, apierr.Field("email", msgEmailTaken)
	case err != nil:
		return nil, internal("verify email", err)
	}
	u, err := s.o.Store.UserByID(ctx, t.UserID)
	if err != nil {
		return nil, internal("reload user", err)
	}
	return u, nil
}

// ResendVerification mails a new link to an account's unverified address.
// The caller answers the same (202) whatever happened, as for reset: only
// the lookup differs between a known and an unknown address, and the
// token's storage and the mail run on the mail worker.
func (s *Service) ResendVerification(ctx context.Context, email Field) error {
	addr, err := requiredEmail(email)
	if err != nil {
		return err
	}
	u, err := s.o.Store.UserByEmailKey(ctx, emailKey(addr))
	if err != nil {
		if !errors.Is(err, models.ErrNotFound) {
			s.o.Log.ErrorContext(ctx, "email verification: look up user", "err", err)
		}
		return nil
	}
	if !s.verifying() || !u.IsActive || u.EmailVerified {
		return nil
	}
	s.sendVerification(ctx, u, u.Email, false)
	return nil
}

// requiredEmail reads the address of a reset or resend request: present
// and well-formed, else DRF's field errors.
func requiredEmail(email Field) (string, error) {
	var v apierr.Validation
	addr, ok := required(&v, "email", email)
	if ok {
		if msg := emailError(addr); msg != "" {
			v.Add("email", msg)
		}
	}
	return addr, v.Err()
}
