// Package models holds the GORM models and every query the service makes.
// It knows nothing of HTTP or JWTs; callers pass times in (UTC) so that tests
// can move the clock.
package models

import (
	"errors"
	"time"
)

// User is an account. Username keeps the spelling the user chose (after NFKC);
// UsernameKey is its case-folded form and carries the uniqueness rule, so that
// "Alice" and "alice" are one user. EmailKey is NULL when there is no email,
// since a unique index allows many NULLs but only one "".
type User struct {
	ID             int64      `gorm:"primaryKey"`
	Username       string     `gorm:"size:150;not null"`
	UsernameKey    string     `gorm:"size:150;not null;uniqueIndex"`
	Email          string     `gorm:"size:254;not null"`
	EmailKey       *string    `gorm:"size:254;uniqueIndex"`
	PasswordHash   string     `gorm:"size:255;not null"`
	Bio            string     `gorm:"size:500;not null"`
	ProfilePicture string     `gorm:"size:2048;not null"`
	IsStaff        bool       `gorm:"not null"`
	IsSuperuser    bool       `gorm:"not null"`
	IsActive       bool       `gorm:"not null"`
	DateJoined     time.Time  `gorm:"not null"`
	LastLogin      *time.Time ``
	FollowersCount int64      `gorm:"not null"`
	FollowingCount int64      `gorm:"not null"`
	// CredentialVersion goes up whenever the user's credentials change in a
	// way that must end what was issued for the old ones: a new password
	// (change, reset, the changepassword command), deactivation, logout
	// everywhere. A login carries the version it read with the password hash,
	// and its session or key is only written if the version is still the
	// same, so a login that checked the old password cannot outlive the change.
	CredentialVersion int64 `gorm:"not null;default:0"`
	// EmailVerified says the user proved Email is theirs (a link sent to it
	// was used). PendingEmail is an address the user asked to change to:
	// Email stays until the link sent to PendingEmail is used (email.go).
	EmailVerified bool    `gorm:"not null;default:false"`
	PendingEmail  *string `gorm:"size:254"`
}

// Session is one login. Access and refresh tokens carry its id (sid); a
// session that is revoked or past ExpiresAt makes all of them fail.
type Session struct {
	ID           string     `gorm:"primaryKey;size:32"`
	UserID       int64      `gorm:"not null;index"`
	User         *User      `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	CreatedAt    time.Time  `gorm:"not null"`
	LastUsedAt   time.Time  `gorm:"not null"`
	ExpiresAt    time.Time  `gorm:"not null;index"`
	RevokedAt    *time.Time ``
	RevokeReason string     `gorm:"size:32;not null"`
	UserAgent    string     `gorm:"size:512;not null"`
	IP           string     `gorm:"size:64;not null"`
	// RefreshGeneration numbers the session's one live refresh token: a
	// refresh token names its session and generation, and rotation moves the
	// generation on by one (refresh.go). 0 is a session opened before
	// generations existed, whose live token is still a row of refresh_tokens
	// (legacy.go).
	RefreshGeneration int64 `gorm:"not null;default:0"`
	// RefreshIssuedAt is when the current generation's token was issued: the
	// time of the last rotation, from which the grace interval runs, and the
	// iat that re-issues the same token to a late twin inside it (its exp is
	// ExpiresAt).
	RefreshIssuedAt *time.Time ``
	// AuthTime is when the user proved the credentials that opened the
	// session, and AMR how (RFC 8176 values, comma-separated): every access
	// token of the session carries them, through every refresh. Sessions
	// opened before they were recorded have AuthTime nil (CreatedAt is the
	// same moment) and AMR "" (a password).
	AuthTime *time.Time ``
	AMR      string     `gorm:"size:64;not null;default:''"`
}

// Live reports whether the session still authorises its tokens at now.
func (s *Session) Live(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// Revocation reasons, kept on the session for audit.
const (
	ReasonLogout         = "logout"
	ReasonLogoutAll      = "logout_all"
	ReasonPasswordChange = "password_change"
	ReasonPasswordReset  = "password_reset"
	ReasonAdmin          = "admin"
	ReasonDeactivated    = "deactivated"
	ReasonReuse          = "refresh_reuse"
	ReasonUser           = "ended_by_user"
	ReasonMFAEnabled     = "mfa_enabled"
)

var (
	ErrNotFound      = errors.New("not found")
	ErrUsernameTaken = errors.New("username taken")
	ErrEmailTaken    = errors.New("email taken")
	// ErrCredentialChanged refuses a session or key for a login whose
	// credentials changed (or whose user was deactivated) after it checked
	// the password.
	ErrCredentialChanged = errors.New("credentials changed since they were checked")
)

// All lists every model, for migrations.
func All() []any {
	return []any{&User{}, &Session{}, &APIKey{}, &PasswordResetToken{}, &Follow{}, &SigningKey{},
		&TOTPFactor{}, &RecoveryCode{}, &MFAChallenge{}, &EmailToken{}, &KnownDevice{}}
}
