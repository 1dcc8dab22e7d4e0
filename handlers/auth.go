package handlers

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"authsvc/accounts"
	"authsvc/apierr"
	"authsvc/passwords"
)

// emptyObject is the "{}" answer of verify, logout and friends, written as
// bytes: rendering an empty struct through the JSON encoder was a twentieth
// of a token check.
var (
	emptyObject = []byte("{}")
	jsonType    = []string{"application/json; charset=utf-8"}
)

// okEmpty answers 200 with {}. The content type slice is shared: net/http
// only reads it.
func okEmpty(c *gin.Context) {
	c.Writer.Header()["Content-Type"] = jsonType
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(emptyObject)
}

func (a *api) register(c *gin.Context) error {
	u, err := a.createUser(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, newOwnUser(u))
	return nil
}

// createUser reads a register body and creates the user (both register
// endpoints).
func (a *api) createUser(c *gin.Context) (*accounts.User, error) {
	b, err := readBody(c)
	if err != nil {
		return nil, err
	}
	return a.Accounts.Register(c.Request.Context(), accounts.RegisterInput{
		Username: b.field("username"), Password: b.field("password"), Email: b.field("email"),
		Bio: b.field("bio"), ProfilePicture: b.field("profile_picture"),
	})
}

// credentials reads username and password with DRF's field errors.
func credentials(c *gin.Context) (username, password string, err error) {
	b, err := readBody(c)
	if err != nil {
		return "", "", err
	}
	var v apierr.Validation
	username, password = credentialFields(&v, b)
	return username, password, v.Err()
}

// credentialFields reads username and password from b into v's errors.
func credentialFields(v *apierr.Validation, b *body) (username, password string) {
	username = requiredField(v, "username", b.field("username"))
	password = requiredField(v, "password", b.field("password"))
	// No user's name holds NUL, and PostgreSQL cannot compare with it;
	// DRF's CharField answers so. A password may (it is only hashed).
	if strings.IndexByte(username, 0) >= 0 {
		v.Add("username", accounts.NullChars)
	}
	if len(password) > passwords.MaxBytes {
		v.Add("password", "Ensure this field has no more than 1024 bytes.")
	}
	return username, password
}

// requiredField applies DRF's required/blank/null/type messages.
func requiredField(v *apierr.Validation, name string, f accounts.Field) string {
	switch f.State {
	case accounts.Missing:
		v.Add(name, "This field is required.")
	case accounts.Null:
		v.Add(name, "This field may not be null.")
	case accounts.NotString:
		v.Add(name, "Not a valid string.")
	default:
		if f.Value == "" {
			v.Add(name, "This field may not be blank.")
		}
	}
	return f.Value
}

func (a *api) token(c *gin.Context) error {
	// In cookie mode the answer plants a refresh cookie, so a login is as
	// much a cookie-changing request as a refresh: without the check, a
	// form on another site could post the attacker's credentials and sign
	// the victim's browser into the attacker's account (login CSRF).
	if a.Cookie.On {
		if err := a.checkCSRF(c); err != nil {
			return err
		}
	}
	username, password, err := credentials(c)
	if err != nil {
		return err
	}
	pair, dev, err := a.Accounts.Login(a.deviceContext(c), username, password, meta(c))
	if err != nil {
		return err
	}
	a.setDeviceCookie(c, dev)
	a.sendPair(c, pair)
	return nil
}

// oneToken reads a single token field (verify's token).
func oneToken(c *gin.Context, name string) (string, error) {
	b, err := readBody(c)
	if err != nil {
		return "", err
	}
	var v apierr.Validation
	raw := requiredField(&v, name, b.field(name))
	return raw, v.Err()
}

func (a *api) refresh(c *gin.Context) error {
	raw, fromCookie, err := a.refreshInput(c)
	if err != nil {
		return err
	}
	// Verified once: the throttle counts against the session it names.
	t, err := a.Accounts.ParseRefresh(raw)
	if err == nil {
		// Refused here, the cookie stays: the token is still good, later.
		if err := a.throttleRefresh(c, t.SessionID()); err != nil {
			return err
		}
		var pair accounts.Pair
		if pair, err = a.Accounts.Rotate(c.Request.Context(), t); err == nil {
			a.answerRefresh(c, pair, fromCookie)
			return nil
		}
	}
	// A refused token leaves the browser; a failure of ours (5xx) keeps it:
	// the token was not used and works again once we do.
	if e, ok := apierr.As(err); fromCookie && ok && e.Status == http.StatusUnauthorized {
		a.clearRefreshCookie(c)
	}
	return err
}

// answerRefresh sends a rotated pair.
func (a *api) answerRefresh(c *gin.Context, pair accounts.Pair, fromCookie bool) {
	// In cookie mode a token from the body (a script) gets the cookie only
	// if the request passes the CSRF check: otherwise a form on another site
	// posting the attacker's refresh token would plant the attacker's
	// session in the victim's browser (login CSRF through refresh). Such a
	// caller held the refresh token already, so it gets the successor in the
	// body, as without cookie mode.
	if a.Cookie.On && !fromCookie && a.checkCSRF(c) != nil {
		c.JSON(http.StatusOK, pair)
		return
	}
	a.sendPair(c, pair)
}

func (a *api) verify(c *gin.Context) error {
	raw, err := oneToken(c, "token")
	if err != nil {
		return err
	}
	if err := a.Accounts.VerifyToken(c.Request.Context(), raw); err != nil {
		return err
	}
	okEmpty(c)
	return nil
}

func (a *api) logout(c *gin.Context) error {
	raw, fromCookie, err := a.refreshInput(c)
	if err != nil {
		return err
	}
	if err := a.Accounts.Logout(c.Request.Context(), raw); err != nil {
		// A refused logout leaves the cookie alone: anyone can make a
		// browser post a bad body here (a cross-site form needs no
		// cookie), and clearing on failure was a forced logout.
		return err
	}
	// Clear the cookie only when it held the session that just ended: a
	// body naming some other token must not end this browser's session.
	if fromCookie || a.cookieHolds(c, raw) {
		a.clearRefreshCookie(c)
	}
	okEmpty(c)
	return nil
}

func (a *api) logoutAll(c *gin.Context) error {
	if err := a.Accounts.LogoutAll(c.Request.Context(), principal(c)); err != nil {
		return err
	}
	a.clearRefreshCookie(c)
	okEmpty(c)
	return nil
}

func (a *api) changePassword(c *gin.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	err = a.Accounts.ChangePassword(c.Request.Context(), principal(c), accounts.ChangePasswordInput{
		OldPassword: b.field("old_password"), NewPassword: b.field("new_password"), Code: b.field("code"),
	})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"detail": "Password has been changed."})
	return nil
}
