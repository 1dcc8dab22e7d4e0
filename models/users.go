package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"authsvc/passwords"
)

// uniqueViolation maps a unique-index failure on users to the sentinel for
// the column. The pre-checks in the service give the friendly answer; this
// closes the race between two registrations of one name.
func uniqueViolation(err error) error {
	msg := err.Error()
	low := strings.ToLower(msg)
	if !strings.Contains(low, "unique") && !strings.Contains(low, "duplicate key") {
		return nil
	}
	switch {
	case strings.Contains(low, "username_key"):
		return ErrUsernameTaken
	case strings.Contains(low, "email_key"):
		return ErrEmailTaken
	}
	return nil
}

// CreateUser inserts u and sets its ID.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	if err := s.W.WithContext(ctx).Create(u).Error; err != nil {
		if e := uniqueViolation(err); e != nil {
			return e
		}
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// UserByID loads one user.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	return s.userByID(ctx, id)
}

// UserByUsernameKey loads the user whose case-folded name is key. The column
// condition is explicit: a struct condition would drop an empty value and
// match the first row.
func (s *Store) UserByUsernameKey(ctx context.Context, key string) (*User, error) {
	return s.userWhere(ctx, s.R, "username_key = ?", key)
}

// UserByEmailKey loads the user with the case-folded email key.
func (s *Store) UserByEmailKey(ctx context.Context, key string) (*User, error) {
	return s.userWhere(ctx, s.R, "email_key = ?", key)
}

func (s *Store) userWhere(ctx context.Context, db *gorm.DB, cond string, arg any) (*User, error) {
	var u User
	err := db.WithContext(ctx).Where(cond, arg).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	return &u, nil
}

// UsernameKeyTaken reports whether another user (not exceptID) holds key.
func (s *Store) UsernameKeyTaken(ctx context.Context, key string, exceptID int64) (bool, error) {
	return s.exists(ctx, "username_key = ? AND id <> ?", key, exceptID)
}

// EmailKeyTaken reports whether another user (not exceptID) holds key.
func (s *Store) EmailKeyTaken(ctx context.Context, key string, exceptID int64) (bool, error) {
	return s.exists(ctx, "email_key = ? AND id <> ?", key, exceptID)
}

func (s *Store) exists(ctx context.Context, cond string, args ...any) (bool, error) {
	var n int64
	if err := s.R.WithContext(ctx).Model(&User{}).Where(cond, args...).Limit(1).Count(&n).Error; err != nil {
		return false, fmt.Errorf("check user: %w", err)
	}
	return n > 0, nil
}

// UpdateUser writes the given columns of user id. Callers name columns
// explicitly (never a client-bound struct), so read-only fields cannot leak in.
func (s *Store) UpdateUser(ctx context.Context, id int64, cols map[string]any) error {
	if len(cols) == 0 {
		return nil
	}
	res := s.W.WithContext(ctx).Model(&User{}).Where("id = ?", id).Updates(cols)
	if res.Error != nil {
		if e := uniqueViolation(res.Error); e != nil {
			return e
		}
		return fmt.Errorf("update user %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// SetPasswordRevoking stores a new password hash, bumps the credential
// version and revokes the user's sessions except keepSession and API keys
// except keepKey ("" for none) in one transaction, so there is no moment
// where the new password is set but stolen sessions or keys still work, and
// a login that checked the old password cannot add one afterwards. cols are
// other columns to write in the same transaction (a profile update that
// also changes the password), so that neither lands without the other.
func (s *Store) SetPasswordRevoking(ctx context.Context, id int64, hash string, cols map[string]any, keepSession, keepKey, reason string, now time.Time) error {
	set := map[string]any{"password_hash": hash, "credential_version": bumpVersion}
	for k, v := range cols {
		set[k] = v
	}
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", id).Updates(set)
		if res.Error != nil {
			if e := uniqueViolation(res.Error); e != nil {
				return e
			}
			return fmt.Errorf("set password of user %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if _, changing := cols["pending_email"]; !changing {
			if err := voidEmailChange(tx, id); err != nil {
				return err
			}
		}
		return revokeUserAccess(tx, id, keepSession, keepKey, reason, now)
	})
}

// MaxPendingPBKDF2 returns the highest iteration count among the stored
// Django PBKDF2 hashes (0 when none is left): the login padding of
// passwords.Hasher.SetPendingPBKDF2. It reads the distinct
// "pbkdf2_sha256$<iterations>" prefixes only, so the answer is a handful of
// rows whatever the number of users, at the cost of one scan of users; it is
// run at start and then every few minutes, never per login.
func (s *Store) MaxPendingPBKDF2(ctx context.Context) (int, error) {
	const prefix = "pbkdf2_sha256$"
	q := `SELECT DISTINCT substr(password_hash, 1, 14 + instr(substr(password_hash, 15), '$') - 1) FROM users WHERE substr(password_hash, 1, 14) = ?`
	if s.Driver == "postgres" {
		q = `SELECT DISTINCT split_part(password_hash, '$', 1) || '$' || split_part(password_hash, '$', 2) FROM users WHERE substr(password_hash, 1, 14) = ?`
	}
	var prefixes []string
	if err := s.R.WithContext(ctx).Raw(s.rebind(q), prefix).Scan(&prefixes).Error; err != nil {
		return 0, fmt.Errorf("find pending pbkdf2 hashes: %w", err)
	}
	most := 0
	for _, p := range prefixes {
		if n, ok := passwords.PBKDF2Iterations(p); ok && n > most {
			most = n
		}
	}
	return most, nil
}

// RehashPassword replaces the password hash of user id with newHash only if
// it is still verified, the hash the caller checked the password against:
// a compare-and-swap, so upgrading a hash at login never writes an old
// password back over one set meanwhile. It does not bump the credential
// version: the password is the same. swapped is false when the hash changed.
func (s *Store) RehashPassword(ctx context.Context, id int64, verified, newHash string) (swapped bool, err error) {
	res := s.W.WithContext(ctx).Model(&User{}).Where("id = ? AND password_hash = ?", id, verified).
		Update("password_hash", newHash)
	if res.Error != nil {
		return false, fmt.Errorf("rehash password of user %d: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// DeleteUser removes the user; sessions and refresh tokens go with it by
// ON DELETE CASCADE. Its follow edges are removed here, not by the cascade,
// so that the counters of the users on the other side go down with them.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// FOR UPDATE (PostgreSQL) waits for follows of this user in flight
		// and keeps new ones out until the row is gone (see lockUsers).
		var ids []int64
		if err := tx.Model(&User{}).Clauses(clause.Locking{Strength: "UPDATE"}).
			Where("id = ?", id).Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("lock user %d: %w", id, err)
		}
		if len(ids) == 0 {
			return ErrNotFound
		}
		if err := dropFollows(tx, id); err != nil {
			return err
		}
		res := tx.Where("id = ?", id).Delete(&User{})
		if res.Error != nil {
			return fmt.Errorf("delete user %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return nil
	})
}
