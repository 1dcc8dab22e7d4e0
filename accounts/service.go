// Package accounts holds the business rules of authentication: registration,
// login, refresh rotation with reuse detection, revocation, profiles and
// passwords. Handlers call one method each; nothing here knows about HTTP
// beyond returning *apierr.Error values for the renderer.
package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"authsvc/apierr"
	"authsvc/models"
	"authsvc/passwords"
	"authsvc/tokens"
)

// Options are the Service's dependencies and settings.
type Options struct {
	Store      *models.Store
	Tokens     *tokens.Service
	Hasher     *passwords.Hasher
	Policy     *passwords.Policy
	Now        func() time.Time
	Log        *slog.Logger
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	ReuseGrace time.Duration
	// Secret keys the derivation of successor refresh-token ids (see successorJTI).
	Secret []byte
	// Events receives notable outcomes (metrics); may be nil.
	Events Events
	// Reset configures password reset by email.
	Reset ResetOptions
	// APIKeyTTL is the lifetime of a new API key and the longest one a
	// request may ask for (0: keys do not expire unless asked to).
	APIKeyTTL time.Duration
	// Budget limits failed password checks per account and per device
	// cookie (budget.go); nil: not limited (AUTH_THROTTLE=off).
	Budget FailureBudget
	// DeviceTTL is the lifetime of a device cookie (device.go).
	DeviceTTL time.Duration
	// Email configures email ownership and security notices (email.go).
	Email EmailOptions
	// MFA configures the second factor (mfa.go).
	MFA MFAOptions
	// AdminRequireMFA (AUTH_ADMIN_REQUIRE_MFA) withholds staff powers from
	// credentials without a second factor (Principal.IsStaff).
	AdminRequireMFA bool
	// Hooks are seams for tests; production leaves them nil.
	Hooks Hooks
}

// Hooks let a test hold an operation at the moment a race is decided, so
// the interleaving it checks happens every run instead of by chance. Every
// field may be nil.
type Hooks struct {
	// AfterVerify runs in a login (password or API-key login) once the
	// password has matched and before anything is written for it: the rehash,
	// the session or the key.
	AfterVerify func(ctx context.Context, userID int64)
	// MFACodeChecked runs in a login's second step once its code has been
	// checked (right or wrong) and before the outcome is written.
	MFACodeChecked func(ctx context.Context, userID int64)
	// ResetValidated runs in a reset confirmation once the token, the user
	// and the new password have been checked, before the reset is written.
	ResetValidated func(ctx context.Context, userID int64)
}

// Events lets an observer (metrics) count outcomes without this package
// importing it.
type Events interface {
	Login(outcome string)
	Refresh(outcome string)
}

// Service implements the account operations.
type Service struct {
	o Options
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{o: o}
}

// Meta describes the client that opens a session.
type Meta struct {
	UserAgent string
	IP        string
}

// Pair is what login and refresh return.
type Pair struct {
	Access  string `json:"access"`
	Refresh string `json:"refresh"`
}

// now is the injected clock in UTC at microsecond precision: PostgreSQL
// keeps no more (SQLite keeps whatever it is given), so an answer built from
// a time just stored equals the one read back later on either database.
func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Microsecond) }

// newID returns 128 random bits, base64url: session ids and jtis.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hashJTI is how refresh-token ids are stored: a database reader learns
// nothing it could present.
func hashJTI(jti string) string {
	sum := sha256.Sum256([]byte(jti))
	return hex.EncodeToString(sum[:])
}

// successorJTI derives the id of the refresh token that replaces jti. Making
// it a keyed function of the parent (instead of random) means a second
// presentation of the parent inside the grace interval can re-create the very
// successor the first one got, without the database ever holding a usable id.
func (s *Service) successorJTI(jti string) string {
	m := hmac.New(sha256.New, s.o.Secret)
	m.Write([]byte("refresh-successor\x00"))
	m.Write([]byte(jti))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

func (s *Service) signAccess(u *models.User, sid string, now time.Time, a Auth) (string, error) {
	return s.o.Tokens.Sign(tokens.Spec{
		Type: tokens.TypeAccess, UserID: u.ID, SessionID: sid, ID: newID(),
		Username: u.Username, IsStaff: u.IsStaff,
		IssuedAt: now, ExpiresAt: now.Add(s.o.AccessTTL),
		AuthTime: a.Time, AMR: a.AMR,
	})
}

func (s *Service) signRefresh(u *models.User, sid, jti string, iat, exp time.Time, a Auth) (string, error) {
	return s.o.Tokens.Sign(tokens.Spec{
		Type: tokens.TypeRefresh, UserID: u.ID, SessionID: sid, ID: jti,
		IssuedAt: iat, ExpiresAt: exp, AuthTime: a.Time, AMR: a.AMR,
	})
}

func (s *Service) loginEvent(outcome string) {
	if s.o.Events != nil {
		s.o.Events.Login(outcome)
	}
}

func (s *Service) refreshEvent(outcome string) {
	if s.o.Events != nil {
		s.o.Events.Refresh(outcome)
	}
}

// internal wraps an unexpected failure: the client sees a plain 500, the log
// gets the cause. The renderer (apierr.Public) turns it into 503 with
// Retry-After when the cause is an unavailable database or a cancelled or
// timed-out request.
func internal(op string, err error) error {
	if _, ok := apierr.As(err); ok {
		return err
	}
	return apierr.Internal.WithCause(fmt.Errorf("%s: %w", op, err))
}
