package accounts

// TEMP stand-in until h18-notices lands; dropped at merge.

import (
	"context"

	"authsvc/models"
)

func (s *Service) noteSignIn(ctx context.Context, u *models.User, m Meta) {}
