package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"authsvc/middleware"
)

// userWithToken is the accounts app's register answer: the user and a key.
type userWithToken struct {
	ownUser
	Token string `json:"token"`
}

// obtainKey is DRF's obtain_auth_token: username and password for a key.
func (a *api) obtainKey(c *gin.Context) error {
	username, password, err := credentials(c)
	if err != nil {
		return err
	}
	key, _, err := a.Accounts.KeyLogin(c.Request.Context(), username, password)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"token": key})
	return nil
}

// revokeKey revokes the key that authenticated the request (DELETE
// /api-token-auth/ and POST /api/accounts/logout/).
func (a *api) revokeKey(c *gin.Context) error {
	if err := a.Accounts.RevokeKey(c.Request.Context(), middleware.PrincipalFrom(c)); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// accountsRegister is register plus a key for the new user.
func (a *api) accountsRegister(c *gin.Context) error {
	u, err := a.createUser(c)
	if err != nil {
		return err
	}
	key, err := a.Accounts.IssueKey(c.Request.Context(), u)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, userWithToken{ownUser: newOwnUser(u), Token: key})
	return nil
}

// accountsLogin is obtainKey with the user beside the key.
func (a *api) accountsLogin(c *gin.Context) error {
	username, password, err := credentials(c)
	if err != nil {
		return err
	}
	key, u, err := a.Accounts.KeyLogin(c.Request.Context(), username, password)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"token": key, "user": newOwnUser(u)})
	return nil
}
