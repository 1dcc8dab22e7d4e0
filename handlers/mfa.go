package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"authsvc/accounts"
	"authsvc/apierr"
)

// mountMFA mounts the second factor's endpoints (API.md, "Second factor
// and step-up"). Every endpoint that checks a password or a code is under a
// throttle that counts failures per IP; per account, the failure budget
// counts both (accounts/budget.go).
func (a *api) mountMFA(g gin.IRouter, authed gin.HandlerFunc) {
	g.GET("/mfa", authed, handle(a.mfaStatus))
	g.POST("/mfa/totp", authed, a.passwordThrottle, handle(a.enrolTOTP))
	g.DELETE("/mfa/totp", authed, a.passwordThrottle, handle(a.disableTOTP))
	g.POST("/mfa/totp/confirm", authed, a.passwordThrottle, handle(a.confirmTOTP))
	g.POST("/mfa/recovery-codes", authed, a.passwordThrottle, handle(a.regenerateRecoveryCodes))
	g.POST("/token/mfa", a.loginThrottle, handle(a.tokenMFA))
}

func (a *api) mfaStatus(c *gin.Context) error {
	st, err := a.Accounts.MFAStatus(c.Request.Context(), principal(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, st)
	return nil
}

func (a *api) enrolTOTP(c *gin.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	e, err := a.Accounts.EnrolTOTP(c.Request.Context(), principal(c), b.field("password"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"secret": e.Secret, "otpauth_uri": e.URI, "qr_png": e.QRPNG})
	return nil
}

func (a *api) confirmTOTP(c *gin.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	codes, err := a.Accounts.ConfirmTOTP(c.Request.Context(), principal(c), b.field("code"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"recovery_codes": codes})
	return nil
}

func (a *api) disableTOTP(c *gin.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	if err := a.Accounts.DisableTOTP(c.Request.Context(), principal(c), b.field("password"), b.field("code")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (a *api) regenerateRecoveryCodes(c *gin.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	codes, err := a.Accounts.RegenerateRecoveryCodes(c.Request.Context(), principal(c), b.field("password"), b.field("code"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"recovery_codes": codes})
	return nil
}

// tokenMFA is a login's second step. It answers in the shape of the
// endpoint the login started at: a token pair (with the refresh cookie in
// cookie mode, as /token/ does), or an API key.
func (a *api) tokenMFA(c *gin.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	var v apierr.Validation
	token := requiredField(&v, "mfa_token", b.field("mfa_token"))
	code := requiredField(&v, "code", b.field("code"))
	if err := v.Err(); err != nil {
		return err
	}
	r, err := a.Accounts.FinishMFA(a.deviceContext(c), token, code, meta(c), func(flow string) error {
		if flow == accounts.FlowToken && a.Cookie.On {
			// As /token/: the answer plants a refresh cookie, so a form
			// on another site must not finish the attacker's login in the
			// victim's browser (login CSRF). Checked before the code and
			// the token are spent.
			return a.checkCSRF(c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch r.Flow {
	case accounts.FlowToken:
		a.setDeviceCookie(c, r.Device)
		a.sendPair(c, r.Pair)
	case accounts.FlowAccounts:
		c.JSON(http.StatusOK, gin.H{"token": r.Key, "user": newOwnUser(r.User)})
	default:
		c.JSON(http.StatusOK, gin.H{"token": r.Key})
	}
	return nil
}

func (a *api) adminRemoveMFA(c *gin.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	if err := a.Accounts.RemoveMFA(c.Request.Context(), principal(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
