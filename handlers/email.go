package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// verificationRequested is the one answer of a resend, whatever happened:
// it says nothing about which addresses exist or are verified.
var verificationRequested = gin.H{
	"detail": "If the address belongs to an account that is not verified yet, a new link is on its way.",
}

// verifyEmail uses a link's token (API.md, "Email ownership").
func (a *api) verifyEmail(c *gin.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	u, err := a.Accounts.VerifyEmail(c.Request.Context(), b.field("token"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, newOwnUser(u))
	return nil
}

// resendVerification mails a new link; throttled per IP and per address
// as a reset request is.
func (a *api) resendVerification(c *gin.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	if err := a.Accounts.ResendVerification(c.Request.Context(), b.field("email")); err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, verificationRequested)
	return nil
}
