package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// userColumns are the users columns in the order userScan reads them.
const userColumns = `u.id, u.username, u.username_key, u.email, u.email_key, u.password_hash, u.bio, u.profile_picture,
 u.is_staff, u.is_superuser, u.is_active, u.date_joined, u.last_login, u.followers_count, u.following_count,
 u.credential_version, u.email_verified, u.pending_email`

// userScan holds the scan targets for userColumns; finish copies the
// nullable ones into the User.
type userScan struct {
	u         *User
	lastLogin sql.NullTime
	emailKey  sql.NullString
	pending   sql.NullString
}

func (x *userScan) dest() []any {
	u := x.u
	return []any{&u.ID, &u.Username, &u.UsernameKey, &u.Email, &x.emailKey, &u.PasswordHash, &u.Bio, &u.ProfilePicture,
		&u.IsStaff, &u.IsSuperuser, &u.IsActive, &u.DateJoined, &x.lastLogin, &u.FollowersCount, &u.FollowingCount,
		&u.CredentialVersion, &u.EmailVerified, &x.pending}
}

func (x *userScan) finish() {
	if x.lastLogin.Valid {
		t := x.lastLogin.Time
		x.u.LastLogin = &t
	}
	if x.emailKey.Valid {
		k := x.emailKey.String
		x.u.EmailKey = &k
	}
	if x.pending.Valid {
		p := x.pending.String
		x.u.PendingEmail = &p
	}
}

const userByIDQuery = `SELECT ` + userColumns + ` FROM users u WHERE u.id = ?`

// userByID is UserByID on a statement prepared once: it is on the refresh
// path, where the ORM's per-call reflection was a tenth of the request.
func (s *Store) userByID(ctx context.Context, id int64) (*User, error) {
	u := new(User)
	x := userScan{u: u}
	pctx, err := s.pointCtx(ctx)
	if err == nil {
		err = s.userStmt.QueryRowContext(pctx, id).Scan(x.dest()...)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	x.finish()
	return u, nil
}
