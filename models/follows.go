package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Follow is one edge: FollowerID follows FolloweeID. The pair is the primary
// key, so an edge exists at most once and a repeated follow inserts nothing.
// The counters on users (followers_count, following_count) are moved in the
// same transaction as the edge, and only when the edge really changed.
type Follow struct {
	FollowerID int64     `gorm:"primaryKey;autoIncrement:false"`
	Follower   *User     `gorm:"foreignKey:FollowerID;constraint:OnDelete:CASCADE" json:"-"`
	FolloweeID int64     `gorm:"primaryKey;autoIncrement:false;index"`
	Followee   *User     `gorm:"foreignKey:FolloweeID;constraint:OnDelete:CASCADE" json:"-"`
	CreatedAt  time.Time `gorm:"not null"`
}

// lockUsers takes a KEY SHARE lock on the users of an edge (PostgreSQL; the
// SQLite writer is serialised anyway and the clause is dropped there). It
// conflicts with DeleteUser's FOR UPDATE but not with counter updates, so a
// follow and the deletion of either side cannot interleave and leave a
// counter moved for an edge that the cascade then removes, while concurrent
// follows of one popular user do not wait on each other. It returns
// ErrNotFound when either user is gone.
func lockUsers(tx *gorm.DB, a, b int64) error {
	var ids []int64
	err := tx.Model(&User{}).Clauses(clause.Locking{Strength: "KEY SHARE"}).
		Where("id IN ?", []int64{a, b}).Order("id").Pluck("id", &ids).Error
	if err != nil {
		return fmt.Errorf("lock users %d, %d: %w", a, b, err)
	}
	if len(ids) != 2 {
		return ErrNotFound
	}
	return nil
}

// moveCounts adds delta to the follower's following_count and the
// followee's followers_count. The rows are updated in id order, so that A
// following B while B follows A cannot deadlock on PostgreSQL.
func moveCounts(tx *gorm.DB, follower, followee int64, delta int) error {
	steps := []struct {
		id  int64
		col string
	}{{followee, "followers_count"}, {follower, "following_count"}}
	if follower < followee {
		steps[0], steps[1] = steps[1], steps[0]
	}
	for _, st := range steps {
		if err := tx.Model(&User{}).Where("id = ?", st.id).
			Update(st.col, gorm.Expr(st.col+" + ?", delta)).Error; err != nil {
			return fmt.Errorf("move %s of user %d: %w", st.col, st.id, err)
		}
	}
	return nil
}

// AddFollow makes follower follow followee. Following twice changes nothing.
// The race it closes: two concurrent follows of one pair both try to insert;
// ON CONFLICT DO NOTHING lets one row in, and only the transaction whose
// insert affected a row moves the counters, so they never double count.
// ErrNotFound when either user does not exist.
func (s *Store) AddFollow(ctx context.Context, follower, followee int64, now time.Time) error {
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockUsers(tx, follower, followee); err != nil {
			return err
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&Follow{FollowerID: follower, FolloweeID: followee, CreatedAt: now})
		if res.Error != nil {
			return fmt.Errorf("follow %d -> %d: %w", follower, followee, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		return moveCounts(tx, follower, followee, 1)
	})
}

// RemoveFollow undoes AddFollow; removing a missing edge changes nothing.
// Only the transaction whose DELETE removed the row moves the counters.
func (s *Store) RemoveFollow(ctx context.Context, follower, followee int64) error {
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockUsers(tx, follower, followee); err != nil {
			return err
		}
		res := tx.Where("follower_id = ? AND followee_id = ?", follower, followee).Delete(&Follow{})
		if res.Error != nil {
			return fmt.Errorf("unfollow %d -> %d: %w", follower, followee, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		return moveCounts(tx, follower, followee, -1)
	})
}

// dropFollows removes every edge of user id and takes them off the counters
// of the users on the other side. Part of DeleteUser's transaction, after the
// user row is locked, so no follow of this user can start meanwhile.
func dropFollows(tx *gorm.DB, id int64) error {
	if err := tx.Model(&User{}).
		Where("id IN (?)", tx.Model(&Follow{}).Select("followee_id").Where("follower_id = ?", id)).
		Update("followers_count", gorm.Expr("followers_count - 1")).Error; err != nil {
		return fmt.Errorf("uncount followers of user %d's followees: %w", id, err)
	}
	if err := tx.Model(&User{}).
		Where("id IN (?)", tx.Model(&Follow{}).Select("follower_id").Where("followee_id = ?", id)).
		Update("following_count", gorm.Expr("following_count - 1")).Error; err != nil {
		return fmt.Errorf("uncount following of user %d's followers: %w", id, err)
	}
	if err := tx.Where("follower_id = ? OR followee_id = ?", id, id).Delete(&Follow{}).Error; err != nil {
		return fmt.Errorf("delete follows of user %d: %w", id, err)
	}
	return nil
}

// FollowingAmong returns which of ids follower follows (for is_following on
// a page of profiles, in one query).
func (s *Store) FollowingAmong(ctx context.Context, follower int64, ids []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(ids))
	if follower == 0 || len(ids) == 0 {
		return out, nil
	}
	var got []int64
	err := s.R.WithContext(ctx).Model(&Follow{}).
		Where("follower_id = ? AND followee_id IN ?", follower, ids).Pluck("followee_id", &got).Error
	if err != nil {
		return nil, fmt.Errorf("load follows of %d: %w", follower, err)
	}
	for _, id := range got {
		out[id] = true
	}
	return out, nil
}

// likeEscaper escapes LIKE wildcards so a search for "a_b" or "50%" matches
// those characters literally.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ListUsers pages through users ordered by id; every one of keyTerms
// (already case folded) must occur in username_key.
func (s *Store) ListUsers(ctx context.Context, keyTerms []string, offset, limit int) ([]User, int64, error) {
	q := s.R.WithContext(ctx).Model(&User{})
	for _, term := range keyTerms {
		q = q.Where(`username_key LIKE ? ESCAPE '\'`, "%"+likeEscaper.Replace(term)+"%")
	}
	return pageUsers(q, offset, limit)
}

// Followers pages through the users who follow id, most recent first.
func (s *Store) Followers(ctx context.Context, id int64, offset, limit int) ([]User, int64, error) {
	return s.edgeUsers(ctx, "follower_id", "followee_id", id, offset, limit)
}

// Following pages through the users id follows, most recent first.
func (s *Store) Following(ctx context.Context, id int64, offset, limit int) ([]User, int64, error) {
	return s.edgeUsers(ctx, "followee_id", "follower_id", id, offset, limit)
}

// edgeUsers lists the users on the other side (column other) of the edges
// whose column self is id. Column names are constants from this file.
func (s *Store) edgeUsers(ctx context.Context, other, self string, id int64, offset, limit int) ([]User, int64, error) {
	q := s.R.WithContext(ctx).Model(&User{}).
		Joins("JOIN follows f ON f."+other+" = users.id").Where("f."+self+" = ?", id)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count follows of %d: %w", id, err)
	}
	var out []User
	if err := q.Order("f.created_at DESC, users.id").Offset(offset).Limit(limit).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list follows of %d: %w", id, err)
	}
	return out, total, nil
}

func pageUsers(q *gorm.DB, offset, limit int) ([]User, int64, error) {
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	var out []User
	if err := q.Order("id").Offset(offset).Limit(limit).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	return out, total, nil
}

// SwapProfilePicture sets user id's profile_picture and returns the value it
// replaced, read under the same lock, so that of two concurrent uploads each
// learns exactly the file it displaced and none is left behind.
func (s *Store) SwapProfilePicture(ctx context.Context, id int64, value string) (old string, err error) {
	err = s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u User
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id", "profile_picture").
			Where("id = ?", id).Take(&u).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("load picture of user %d: %w", id, err)
		}
		old = u.ProfilePicture
		if err := tx.Model(&User{}).Where("id = ?", id).Update("profile_picture", value).Error; err != nil {
			return fmt.Errorf("set picture of user %d: %w", id, err)
		}
		return nil
	})
	return old, err
}
