package handlers_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"authsvc/internal/testserver"
)

// hostileSetups builds the valid request of each endpoint that
// TestHostileStringsNever5xx spoils, on server s; the admin endpoint is
// called by staff. n numbers the users it makes.
type hostileSetups struct {
	s     *testserver.Server
	staff testserver.Pair
	n     atomic.Int64
}

// fresh registers and logs in a new user.
func (h *hostileSetups) fresh(t *testing.T) (name, pw string, p testserver.Pair) {
	name = fmt.Sprintf("hostile%d", h.n.Add(1))
	p, pw = h.s.NewUser(name)
	return name, pw, p
}

func (h *hostileSetups) register(t *testing.T) (map[string]string, string, string) {
	name := fmt.Sprintf("newcomer%d", h.n.Add(1))
	return map[string]string{"username": name, "password": strongPassword, "email": name + "@example.com", "bio": "hi",
		"profile_picture": "https://example.com/a.png"}, "", ""
}

func (h *hostileSetups) login(t *testing.T) (map[string]string, string, string) {
	name, pw, _ := h.fresh(t)
	return map[string]string{"username": name, "password": pw}, "", ""
}

// tokenField sends a fresh user's refresh token in field ("token": the
// access token, for verify).
func (h *hostileSetups) tokenField(field string) hostileSetup {
	return func(t *testing.T) (map[string]string, string, string) {
		_, _, p := h.fresh(t)
		v := p.Refresh
		if field == "token" {
			v = p.Access
		}
		return map[string]string{field: v}, "", ""
	}
}

func (h *hostileSetups) own(t *testing.T) (map[string]string, string, string) {
	name, pw, p := h.fresh(t)
	return map[string]string{"username": name + "x", "email": name + "@example.com", "bio": "b",
		"profile_picture": "https://example.com/b.png", "password": "N3w-" + strongPassword, "current_password": pw}, p.Access, ""
}

func (h *hostileSetups) public(t *testing.T) (map[string]string, string, string) {
	name, _, p := h.fresh(t)
	id := int64(user(t, h.s, name).ID)
	return map[string]string{"username": name + "y", "email": name + "@example.org", "bio": "b"}, p.Access, fmt.Sprintf("/api/accounts/profiles/%d/", id)
}

func (h *hostileSetups) admin(t *testing.T) (map[string]string, string, string) {
	name, _, _ := h.fresh(t)
	id := int64(user(t, h.s, name).ID)
	return map[string]string{"username": name + "z", "email": name + "@example.net", "bio": "b", "is_staff": "false", "is_active": "true"},
		h.staff.Access, fmt.Sprintf("/api/admin/users/%d/", id)
}

func (h *hostileSetups) passwordChange(t *testing.T) (map[string]string, string, string) {
	_, pw, p := h.fresh(t)
	return map[string]string{"old_password": pw, "new_password": "N3w-" + strongPassword}, p.Access, ""
}

func (h *hostileSetups) deleteAccount(t *testing.T) (map[string]string, string, string) {
	_, pw, p := h.fresh(t)
	return map[string]string{"password": pw}, p.Access, ""
}

func (h *hostileSetups) resetRequest(t *testing.T) (map[string]string, string, string) {
	name, _, _ := h.fresh(t)
	return map[string]string{"email": name + "@example.com"}, "", ""
}

func (h *hostileSetups) resetConfirm(t *testing.T) (map[string]string, string, string) {
	return map[string]string{"token": "abc.def", "new_password": "N3w-" + strongPassword}, "", ""
}
