package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"authsvc/accounts"
)

// resetRequested is the one answer to a reset request, known address or not.
var resetRequested = gin.H{"detail": "If the address is registered, a reset link has been sent."}

func (a *api) passwordReset(c *gin.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	if err := a.Accounts.RequestPasswordReset(c.Request.Context(), b.field("email")); err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, resetRequested)
	return nil
}

func (a *api) passwordResetConfirm(c *gin.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	err = a.Accounts.ConfirmPasswordReset(c.Request.Context(), accounts.ResetConfirmInput{
		Token: b.field("token"), NewPassword: b.field("new_password"),
	})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"detail": "Password has been reset with the new password."})
	return nil
}
