package accounts

import (
	"context"
	"errors"

	"authsvc/apierr"
	"authsvc/models"
)

// ListUsers is the staff view of all users, one page at a time; search
// matches part of the username without regard to case.
func (s *Service) ListUsers(ctx context.Context, search string, offset, limit int) ([]models.User, int64, error) {
	terms, err := searchTerms(search)
	if err != nil {
		return nil, 0, err
	}
	list, total, err := s.o.Store.ListUsers(ctx, terms, offset, limit)
	if err != nil {
		return nil, 0, internal("list users", err)
	}
	return list, total, nil
}

// User loads one user by id; an unknown id is 404.
func (s *Service) User(ctx context.Context, id int64) (*models.User, error) {
	u, err := s.o.Store.UserByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, apierr.NotFound
	}
	if err != nil {
		return nil, internal("load user", err)
	}
	return u, nil
}

// AdminInput is what staff may change on a user; nil leaves a flag as is.
type AdminInput struct {
	IsActive, IsStaff *bool
}

// AdminUpdate applies in to user id on behalf of staff actor. Deactivating a
// user ends every session and API key of theirs in the same transaction.
// Staff cannot demote or deactivate themselves, so the last admin cannot
// lock everyone out by accident.
func (s *Service) AdminUpdate(ctx context.Context, actor *Principal, id int64, in AdminInput) (*models.User, error) {
	target, err := s.User(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := mayManage(actor, target); err != nil {
		return nil, err
	}
	var v apierr.Validation
	cols := map[string]any{}
	if in.IsStaff != nil {
		if actor.User.ID == id && !*in.IsStaff {
			v.Add("is_staff", "You cannot remove your own staff status.")
		}
		cols["is_staff"] = *in.IsStaff
	}
	deactivate := false
	if in.IsActive != nil {
		if actor.User.ID == id && !*in.IsActive {
			v.Add("is_active", "You cannot deactivate your own account.")
		}
		cols["is_active"] = *in.IsActive
		deactivate = !*in.IsActive
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(cols) > 0 {
		err := s.o.Store.UpdateUserRevoking(ctx, id, cols, deactivate, models.ReasonDeactivated, s.now())
		if errors.Is(err, models.ErrNotFound) {
			return nil, apierr.NotFound
		}
		if err != nil {
			return nil, internal("admin update user", err)
		}
		if deactivate {
			s.o.Log.InfoContext(ctx, "user deactivated; sessions and api keys revoked", "user_id", id, "by", actor.User.ID)
		}
	}
	return s.User(ctx, id)
}

// AdminLogout ends every session and API key of user id.
func (s *Service) AdminLogout(ctx context.Context, actor *Principal, id int64) error {
	target, err := s.User(ctx, id)
	if err != nil {
		return err
	}
	if err := mayManage(actor, target); err != nil {
		return err
	}
	if err := s.RevokeAll(ctx, id, models.ReasonAdmin); err != nil {
		return err
	}
	s.o.Log.InfoContext(ctx, "user logged out by staff", "user_id", id, "by", actor.User.ID)
	return nil
}

// mayManage keeps staff below superusers: a staff account that is not a
// superuser must not change, deactivate or log out a superuser, or one
// stolen staff token would be enough to take over (change the email, then
// reset the password) or lock out the owners of the service.
func mayManage(actor *Principal, target *models.User) error {
	if target.IsSuperuser && !actor.User.IsSuperuser && actor.User.ID != target.ID {
		return apierr.PermissionDenied
	}
	return nil
}
