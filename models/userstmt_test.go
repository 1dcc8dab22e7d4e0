package models

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// TestUserByIDMatchesORM checks the prepared-statement UserByID against the
// ORM's reading of the same row, nullable columns set and unset.
func TestUserByIDMatchesORM(t *testing.T) {
	t.Parallel()
	s := openTestStore(t, Options{})
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	key := "ada@example.com"
	users := []*User{
		{Username: "Ada", UsernameKey: "ada", Email: "Ada@example.com", EmailKey: &key, PasswordHash: "h", Bio: "b",
			ProfilePicture: "https://x/p.png", IsStaff: true, IsActive: true, DateJoined: now, LastLogin: &now,
			FollowersCount: 3, FollowingCount: 4},
		{Username: "bob", UsernameKey: "bob", DateJoined: now},
	}
	for _, u := range users {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, err := s.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var want User
		if err := s.R.Where("id = ?", u.ID).Take(&want).Error; err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("UserByID = %+v\nORM      = %+v", *got, want)
		}
	}
	if _, err := s.UserByID(ctx, 999); err != ErrNotFound {
		t.Errorf("missing user: %v", err)
	}
}
