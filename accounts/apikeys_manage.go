package accounts

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"authsvc/apierr"
	"authsvc/models"
)

// ErrKeyLimit answers a key login by a user who holds the most keys
// allowed. 409 rather than ending the oldest key: a key is a long-lived
// credential some script depends on, and it should end only when its owner
// says so.
var ErrKeyLimit = &apierr.Error{Status: http.StatusConflict, Code: "api_key_limit",
	Detail: "This account has the most API keys allowed. Delete one you no longer use (DELETE /api/auth/keys/{id}/; GET /api/auth/keys/ lists them) and try again."}

// maxKeyTTL bounds expires_in when no lifetime is configured: ten years
// (keeps the arithmetic far from overflow).
const maxKeyTTL = 10 * 365 * 24 * time.Hour

// KeyTTL checks a requested key lifetime in seconds: a whole number from 1
// up to the configured AUTH_API_KEY_TTL (or ten years without one).
func (s *Service) KeyTTL(seconds int64) (time.Duration, error) {
	most := maxKeyTTL
	if s.o.APIKeyTTL > 0 {
		most = s.o.APIKeyTTL
	}
	if seconds < 1 || seconds > int64(most/time.Second) {
		return 0, apierr.Field("expires_in", fmt.Sprintf("Ensure this value is between 1 and %d seconds.", int64(most/time.Second)))
	}
	return time.Duration(seconds) * time.Second, nil
}

// Keys lists the principal's API keys that still work, newest first.
func (s *Service) Keys(ctx context.Context, p *Principal, offset, limit int) ([]models.APIKey, int64, error) {
	list, total, err := s.o.Store.APIKeys(ctx, p.User.ID, s.now(), offset, limit)
	if err != nil {
		return nil, 0, internal("list api keys", err)
	}
	return list, total, nil
}

// DeleteKey deletes one of the principal's own keys. Another user's key id
// answers 404, exactly like an unknown one, so ids cannot be probed.
func (s *Service) DeleteKey(ctx context.Context, p *Principal, id string) error {
	if !Storable(id) {
		return apierr.NotFound
	}
	found, err := s.o.Store.DeleteAPIKey(ctx, id, p.User.ID)
	if err != nil {
		return internal("delete api key", err)
	}
	if !found {
		return apierr.NotFound
	}
	return nil
}
