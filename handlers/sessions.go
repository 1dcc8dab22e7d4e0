package handlers

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

type sessionJSON struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	Current    bool      `json:"current"`
}

func (a *api) listSessions(c *gin.Context) error {
	pg, err := parsePage(c)
	if err != nil {
		return err
	}
	p := principal(c)
	list, total, err := a.Accounts.Sessions(c.Request.Context(), p, pg.offset(), pg.Size)
	if err != nil {
		return err
	}
	out := make([]sessionJSON, 0, len(list))
	for _, s := range list {
		out = append(out, sessionJSON{
			ID: s.ID, CreatedAt: s.CreatedAt.UTC(), LastUsedAt: s.LastUsedAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
			UserAgent: s.UserAgent, IP: s.IP, Current: s.ID == p.SessionID,
		})
	}
	body, err := a.newPage(c, pg, total, out)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, body)
	return nil
}

func (a *api) endSession(c *gin.Context) error {
	if err := a.Accounts.EndSession(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
