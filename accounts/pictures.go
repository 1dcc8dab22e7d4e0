package accounts

import (
	"context"
	"errors"

	"authsvc/apierr"
	"authsvc/models"
)

// SetProfilePicture points p's profile_picture at value ("" clears it) and
// returns the value it replaced, whose file the caller may now release. A
// user deleted meanwhile is 404.
func (s *Service) SetProfilePicture(ctx context.Context, p *Principal, value string) (old string, err error) {
	old, err = s.o.Store.SwapProfilePicture(ctx, p.User.ID, value)
	if errors.Is(err, models.ErrNotFound) {
		return "", apierr.NotFound
	}
	if err != nil {
		return "", internal("set profile picture", err)
	}
	return old, nil
}
