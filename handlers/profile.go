package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"authsvc/accounts"
)

func (a *api) profile(c *gin.Context) error {
	c.JSON(http.StatusOK, newOwnUser(&principal(c).User))
	return nil
}

// profileInput reads the writable profile fields; anything else in the body
// (id, is_staff, is_active, date_joined, counts) is ignored.
func profileInput(b *body, full bool) accounts.ProfileInput {
	return accounts.ProfileInput{
		Username: b.field("username"), Email: b.field("email"), Bio: b.field("bio"),
		ProfilePicture: b.field("profile_picture"),
		Password:       b.field("password"), CurrentPassword: b.field("current_password"),
		Full: full,
	}
}

func (a *api) updateProfile(c *gin.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	p := principal(c)
	u, err := a.Accounts.UpdateProfile(c.Request.Context(), p,
		profileInput(b, c.Request.Method == http.MethodPut))
	if err != nil {
		return err
	}
	a.replacedPicture(c.Request.Context(), p.User.ProfilePicture, u.ProfilePicture)
	c.JSON(http.StatusOK, newOwnUser(u))
	return nil
}

func (a *api) deleteProfile(c *gin.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	p := principal(c)
	if err := a.Accounts.DeleteAccount(c.Request.Context(), p, b.field("password"), b.field("code")); err != nil {
		return err
	}
	a.releasePicture(c.Request.Context(), p.User.ProfilePicture)
	c.Status(http.StatusNoContent)
	return nil
}
