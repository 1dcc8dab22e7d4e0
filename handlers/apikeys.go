package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"authsvc/accounts"
	"authsvc/apierr"
)

// userWithToken is the accounts app's register answer: the user and a key.
type userWithToken struct {
	ownUser
	// Token is the key; null on registration while the address must be
	// verified first (AUTH_EMAIL_VERIFICATION=required).
	Token *string `json:"token"`
}

// keyLogin reads a key login: username, password and an optional
// expires_in (seconds; a JSON number or a string of digits, as DRF's
// IntegerField takes it).
func (a *api) keyLogin(c *gin.Context) (username, password string, ttl time.Duration, err error) {
	b, err := readBody(c)
	if err != nil {
		return "", "", 0, err
	}
	var v apierr.Validation
	username, password = credentialFields(&v, b)
	if b.has("expires_in") {
		seconds, ok := intField(b, "expires_in")
		if !ok {
			v.Add("expires_in", "A valid integer is required.")
		} else if ttl, err = a.Accounts.KeyTTL(seconds); err != nil {
			e, _ := apierr.As(err)
			for _, msg := range e.Fields["expires_in"] {
				v.Add("expires_in", msg)
			}
		}
	}
	return username, password, ttl, v.Err()
}

// intField reads a whole number given as a JSON number, a JSON string of
// digits or a form value.
func intField(b *body, name string) (int64, bool) {
	s := b.field(name).Value
	if raw, ok := b.json[name]; ok && len(raw) > 0 && raw[0] != '"' {
		s = string(raw) // a JSON number; anything else fails to parse below
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

// obtainKey is DRF's obtain_auth_token: username and password for a key.
func (a *api) obtainKey(c *gin.Context) error {
	username, password, ttl, err := a.keyLogin(c)
	if err != nil {
		return err
	}
	key, _, err := a.Accounts.KeyLogin(c.Request.Context(), username, password, ttl, accounts.FlowKey, meta(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"token": key})
	return nil
}

// revokeKey revokes the key that authenticated the request (DELETE
// /api-token-auth/ and POST /api/accounts/logout/).
func (a *api) revokeKey(c *gin.Context) error {
	if err := a.Accounts.RevokeKey(c.Request.Context(), principal(c)); err != nil {
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
	key, err := a.Accounts.RegistrationKey(c.Request.Context(), u)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, userWithToken{ownUser: newOwnUser(u), Token: key})
	return nil
}

// accountsLogin is obtainKey with the user beside the key.
func (a *api) accountsLogin(c *gin.Context) error {
	username, password, ttl, err := a.keyLogin(c)
	if err != nil {
		return err
	}
	key, u, err := a.Accounts.KeyLogin(c.Request.Context(), username, password, ttl, accounts.FlowAccounts, meta(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"token": key, "user": newOwnUser(u)})
	return nil
}

// keyJSON describes a key in the list: never the key nor its hash.
type keyJSON struct {
	ID         string     `json:"id"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	Current    bool       `json:"current"`
}

func utcOrNil(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// listKeys pages through the caller's API keys, so a user can see (and
// then end) keys they did not make.
func (a *api) listKeys(c *gin.Context) error {
	pg, err := parsePage(c)
	if err != nil {
		return err
	}
	p := principal(c)
	list, total, err := a.Accounts.Keys(c.Request.Context(), p, pg.offset(), pg.Size)
	if err != nil {
		return err
	}
	out := make([]keyJSON, 0, len(list))
	for _, k := range list {
		out = append(out, keyJSON{ID: k.ID, Prefix: k.Prefix, CreatedAt: k.CreatedAt.UTC(),
			LastUsedAt: utcOrNil(k.LastUsedAt), ExpiresAt: utcOrNil(k.ExpiresAt), Current: k.ID == p.APIKeyID})
	}
	body, err := a.newPage(c, pg, total, out)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, body)
	return nil
}

// deleteKey ends one of the caller's keys by id.
func (a *api) deleteKey(c *gin.Context) error {
	if err := a.Accounts.DeleteKey(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
