package handlers

import (
	"time"

	"authsvc/accounts"
)

// ownUser is the own-user representation (/api/auth/profile/, register).
// The password hash has no field here, so it cannot be serialised by mistake.
type ownUser struct {
	ID             int64      `json:"id"`
	Username       string     `json:"username"`
	Email          string     `json:"email"`
	Bio            string     `json:"bio"`
	ProfilePicture *string    `json:"profile_picture"`
	FollowersCount int64      `json:"followers_count"`
	FollowingCount int64      `json:"following_count"`
	IsStaff        bool       `json:"is_staff"`
	DateJoined     time.Time  `json:"date_joined"`
	LastLogin      *time.Time `json:"last_login"`
	EmailVerified  bool       `json:"email_verified"`
	PendingEmail   *string    `json:"pending_email"`
}

func newOwnUser(u *accounts.User) ownUser {
	out := ownUser{
		ID: u.ID, Username: u.Username, Email: u.Email, Bio: u.Bio,
		ProfilePicture: nullable(u.ProfilePicture),
		FollowersCount: u.FollowersCount, FollowingCount: u.FollowingCount,
		IsStaff: u.IsStaff, DateJoined: u.DateJoined.UTC(),
		EmailVerified: u.EmailVerified, PendingEmail: u.PendingEmail,
	}
	if u.LastLogin != nil {
		t := u.LastLogin.UTC()
		out.LastLogin = &t
	}
	return out
}

// nullable renders "" as JSON null, as DRF renders an empty image field.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
