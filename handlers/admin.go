package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"authsvc/accounts"
	"authsvc/apierr"
)

// mountAdmin mounts the staff-only user administration.
func (a *api) mountAdmin(r gin.IRouter, staff gin.HandlerFunc) {
	adm := r.Group("/api/admin", staff)
	adm.GET("/users", handle(a.adminListUsers))
	adm.GET("/users/:id", handle(a.adminGetUser))
	adm.PATCH("/users/:id", handle(a.adminUpdateUser))
	adm.POST("/users/:id/logout", handle(a.adminLogoutUser))
	adm.DELETE("/users/:id/mfa", handle(a.adminRemoveMFA))
}

// adminUser is the staff view of a user: the own-user fields plus the
// account flags.
type adminUser struct {
	ownUser
	IsActive    bool `json:"is_active"`
	IsSuperuser bool `json:"is_superuser"`
}

func newAdminUser(u *accounts.User) adminUser {
	return adminUser{ownUser: newOwnUser(u), IsActive: u.IsActive, IsSuperuser: u.IsSuperuser}
}

func (a *api) adminListUsers(c *gin.Context) error {
	pg, err := parsePage(c)
	if err != nil {
		return err
	}
	list, total, err := a.Accounts.ListUsers(c.Request.Context(), strings.TrimSpace(c.Query("search")), pg.offset(), pg.Size)
	if err != nil {
		return err
	}
	out := make([]adminUser, 0, len(list))
	for i := range list {
		out = append(out, newAdminUser(&list[i]))
	}
	body, err := a.newPage(c, pg, total, out)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, body)
	return nil
}

// userID reads the :id path parameter; anything but a positive integer is
// an unknown user.
func userID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, apierr.NotFound
	}
	return id, nil
}

func (a *api) adminGetUser(c *gin.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	u, err := a.Accounts.User(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, newAdminUser(u))
	return nil
}

func (a *api) adminUpdateUser(c *gin.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	var v apierr.Validation
	in := accounts.AdminInput{IsActive: b.boolField(&v, "is_active"), IsStaff: b.boolField(&v, "is_staff")}
	if err := v.Err(); err != nil {
		return err
	}
	u, err := a.Accounts.AdminUpdate(c.Request.Context(), principal(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, newAdminUser(u))
	return nil
}

func (a *api) adminLogoutUser(c *gin.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	if err := a.Accounts.AdminLogout(c.Request.Context(), principal(c), id); err != nil {
		return err
	}
	okEmpty(c)
	return nil
}

// boolField reads an optional boolean as DRF's BooleanField does: JSON true
// and false, the numbers 1 and 0, or the strings "true"/"false"/"1"/"0" (any
// case) that forms send. nil when absent; a bad value is recorded in v.
func (b *body) boolField(v *apierr.Validation, name string) *bool {
	var s string
	if b.json != nil {
		raw, ok := b.json[name]
		if !ok {
			return nil
		}
		raw = bytes.TrimSpace(raw)
		if string(raw) == "null" {
			v.Add(name, "This field may not be null.")
			return nil
		}
		var t bool
		if err := json.Unmarshal(raw, &t); err == nil {
			return &t
		}
		if r := string(raw); r == "1" || r == "0" {
			s = r
		} else if err := json.Unmarshal(raw, &s); err != nil {
			v.Add(name, "Must be a valid boolean.")
			return nil
		}
	} else {
		f := b.field(name)
		if f.State == accounts.Missing {
			return nil
		}
		s = f.Value
	}
	switch strings.ToLower(s) {
	case "true", "1":
		t := true
		return &t
	case "false", "0":
		f := false
		return &f
	}
	v.Add(name, "Must be a valid boolean.")
	return nil
}
