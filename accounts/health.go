package accounts

import (
	"context"

	"authsvc/models"
)

// Ready checks that the database answers (readiness probe).
func (s *Service) Ready(ctx context.Context) error {
	return s.o.Store.Ping(ctx)
}

// IsUnavailable reports whether err means the database cannot answer for
// now (down, unreachable, out of connections) rather than that the request
// is wrong: the error renderer answers those with 503 and Retry-After.
func IsUnavailable(err error) bool { return models.IsUnavailable(err) }
