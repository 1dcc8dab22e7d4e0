package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"authsvc/accounts"
	"authsvc/apierr"
	"authsvc/middleware"
)

// publicProfile is a user as others see it: no is_staff or last_login, and
// email only for the owner and staff (omitted, not null, for anyone else).
type publicProfile struct {
	ID             int64     `json:"id"`
	Username       string    `json:"username"`
	Email          *string   `json:"email,omitempty"`
	Bio            string    `json:"bio"`
	ProfilePicture *string   `json:"profile_picture"`
	FollowersCount int64     `json:"followers_count"`
	FollowingCount int64     `json:"following_count"`
	DateJoined     time.Time `json:"date_joined"`
	IsFollowing    bool      `json:"is_following"`
}

// newPublicProfile shows u to viewer (the middleware's view of the principal:
// a nil one stays nil, which the permission rule needs).
func newPublicProfile(viewer middleware.Principal, u *accounts.User, following bool) publicProfile {
	out := publicProfile{
		ID: u.ID, Username: u.Username, Bio: u.Bio, ProfilePicture: nullable(u.ProfilePicture),
		FollowersCount: u.FollowersCount, FollowingCount: u.FollowingCount,
		DateJoined: u.DateJoined.UTC(), IsFollowing: following,
	}
	if middleware.OwnerOrStaff(viewer, u.ID) == nil {
		email := u.Email
		out.Email = &email
	}
	return out
}

func (a *api) mountProfiles(r gin.IRouter, authed gin.HandlerFunc) {
	g := r.Group("/api/accounts/profiles", authed)
	g.GET("", handle(a.listProfiles))
	g.GET("/:id", handle(a.getProfile))
	g.PATCH("/:id", handle(a.updatePublicProfile))
	g.PUT("/:id", handle(a.updatePublicProfile))
	g.POST("/:id/follow", handle(a.followRoute(a.Accounts.Follow)))
	g.DELETE("/:id/follow", handle(a.followRoute(a.Accounts.Unfollow)))
	g.GET("/:id/followers", handle(a.listFollowers))
	g.GET("/:id/following", handle(a.listFollowing))
}

// profileID reads the path id; anything but a positive integer is 404, as a
// Django URL pattern with <int:pk> answers.
func profileID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, apierr.NotFound
	}
	return id, nil
}

func (a *api) listProfiles(c *gin.Context) error {
	pg, err := parsePage(c)
	if err != nil {
		return err
	}
	list, total, err := a.Accounts.Profiles(c.Request.Context(), c.Query("search"), pg.offset(), pg.Size)
	if err != nil {
		return err
	}
	return a.writeProfiles(c, pg, total, list)
}

func (a *api) listFollowers(c *gin.Context) error { return a.listEdges(c, a.Accounts.Followers) }
func (a *api) listFollowing(c *gin.Context) error { return a.listEdges(c, a.Accounts.Following) }

// edgeList is Accounts.Followers or Accounts.Following.
type edgeList func(ctx context.Context, id int64, offset, limit int) ([]accounts.User, int64, error)

func (a *api) listEdges(c *gin.Context, list edgeList) error {
	id, err := profileID(c)
	if err != nil {
		return err
	}
	pg, err := parsePage(c)
	if err != nil {
		return err
	}
	users, total, err := list(c.Request.Context(), id, pg.offset(), pg.Size)
	if err != nil {
		return err
	}
	return a.writeProfiles(c, pg, total, users)
}

// writeProfiles renders one page of profiles with is_following for the
// viewer, looked up for the whole page in one query.
func (a *api) writeProfiles(c *gin.Context, pg page, total int64, users []accounts.User) error {
	ids := make([]int64, len(users))
	for i := range users {
		ids[i] = users[i].ID
	}
	following, err := a.Accounts.FollowingAmong(c.Request.Context(), principal(c), ids)
	if err != nil {
		return err
	}
	viewer := middleware.PrincipalFrom(c)
	out := make([]publicProfile, len(users))
	for i := range users {
		out[i] = newPublicProfile(viewer, &users[i], following[users[i].ID])
	}
	body, err := a.newPage(c, pg, total, out)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, body)
	return nil
}

// writeProfile renders one profile for the viewer.
func (a *api) writeProfile(c *gin.Context, u *accounts.User) error {
	following, err := a.Accounts.FollowingAmong(c.Request.Context(), principal(c), []int64{u.ID})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, newPublicProfile(middleware.PrincipalFrom(c), u, following[u.ID]))
	return nil
}

func (a *api) getProfile(c *gin.Context) error {
	id, err := profileID(c)
	if err != nil {
		return err
	}
	u, err := a.Accounts.Profile(c.Request.Context(), id)
	if err != nil {
		return err
	}
	return a.writeProfile(c, u)
}

// updatePublicProfile lets the owner or staff edit a profile by id; the
// permission is checked on the loaded object before the body is read, so
// anyone else gets 403 and nothing is applied.
func (a *api) updatePublicProfile(c *gin.Context) error {
	id, err := profileID(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	target, err := a.Accounts.Profile(ctx, id)
	if err != nil {
		return err
	}
	if err := middleware.OwnerOrStaff(middleware.PrincipalFrom(c), target.ID); err != nil {
		return err
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	u, err := a.Accounts.UpdateUser(ctx, principal(c), target, profileInput(b, c.Request.Method == http.MethodPut))
	if err != nil {
		return err
	}
	a.replacedPicture(ctx, target.ProfilePicture, u.ProfilePicture)
	return a.writeProfile(c, u)
}

// followChange is Accounts.Follow or Accounts.Unfollow.
type followChange func(ctx context.Context, p *accounts.Principal, id int64) (*accounts.User, error)

// followRoute answers POST (follow) and DELETE (unfollow) with the updated
// profile.
func (a *api) followRoute(change followChange) func(c *gin.Context) error {
	return func(c *gin.Context) error {
		id, err := profileID(c)
		if err != nil {
			return err
		}
		u, err := change(c.Request.Context(), principal(c), id)
		if err != nil {
			return err
		}
		return a.writeProfile(c, u)
	}
}
