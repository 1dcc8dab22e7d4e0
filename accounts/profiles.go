package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"authsvc/apierr"
	"authsvc/models"
)

// ErrFollowSelf is the answer to following (or unfollowing) oneself.
var ErrFollowSelf = &apierr.Error{Status: http.StatusBadRequest, Code: apierr.CodeInvalid,
	Detail: "You cannot follow yourself."}

// Profile loads the user behind a public profile; a missing one is 404.
func (s *Service) Profile(ctx context.Context, id int64) (*models.User, error) {
	u, err := s.o.Store.UserByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, apierr.NotFound
	}
	if err != nil {
		return nil, internal("load profile", err)
	}
	return u, nil
}

// Profiles pages through users. search is split into terms as DRF's
// SearchFilter does (on whitespace and commas, NUL removed); each term must
// appear in the username, without regard to case (compared on the
// case-folded key, so "ALICE" finds "Alice" and "ß" finds "SS").
func (s *Service) Profiles(ctx context.Context, search string, offset, limit int) ([]models.User, int64, error) {
	terms, err := searchTerms(search)
	if err != nil {
		return nil, 0, err
	}
	list, total, err := s.o.Store.ListUsers(ctx, terms, offset, limit)
	if err != nil {
		return nil, 0, internal("list profiles", err)
	}
	return list, total, nil
}

// Follow makes p follow user id and returns that user with its new counts.
// It is idempotent; following oneself is 400, a missing user 404.
func (s *Service) Follow(ctx context.Context, p *Principal, id int64) (*models.User, error) {
	return s.changeFollow(ctx, p, id, func() error { return s.o.Store.AddFollow(ctx, p.User.ID, id, s.now()) })
}

// Unfollow undoes Follow, with the same answers.
func (s *Service) Unfollow(ctx context.Context, p *Principal, id int64) (*models.User, error) {
	return s.changeFollow(ctx, p, id, func() error { return s.o.Store.RemoveFollow(ctx, p.User.ID, id) })
}

func (s *Service) changeFollow(ctx context.Context, p *Principal, id int64, change func() error) (*models.User, error) {
	if id == p.User.ID {
		return nil, ErrFollowSelf
	}
	if err := change(); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return nil, apierr.NotFound
		}
		return nil, internal("follow", err)
	}
	return s.Profile(ctx, id)
}

// Followers pages through the users who follow id (404 when id is missing).
func (s *Service) Followers(ctx context.Context, id int64, offset, limit int) ([]models.User, int64, error) {
	return s.edges(ctx, id, offset, limit, s.o.Store.Followers)
}

// Following pages through the users id follows (404 when id is missing).
func (s *Service) Following(ctx context.Context, id int64, offset, limit int) ([]models.User, int64, error) {
	return s.edges(ctx, id, offset, limit, s.o.Store.Following)
}

type edgeLister func(ctx context.Context, id int64, offset, limit int) ([]models.User, int64, error)

func (s *Service) edges(ctx context.Context, id int64, offset, limit int, list edgeLister) ([]models.User, int64, error) {
	if _, err := s.Profile(ctx, id); err != nil {
		return nil, 0, err
	}
	out, total, err := list(ctx, id, offset, limit)
	if err != nil {
		return nil, 0, internal("list follows", err)
	}
	return out, total, nil
}

// FollowingAmong says which of ids the principal follows (is_following).
func (s *Service) FollowingAmong(ctx context.Context, p *Principal, ids []int64) (map[int64]bool, error) {
	m, err := s.o.Store.FollowingAmong(ctx, p.User.ID, ids)
	if err != nil {
		return nil, internal("load follows", err)
	}
	return m, nil
}

// Bounds of a ?search= value. Each term becomes one LIKE over every
// username, so the number of terms is what a request costs: 1,001 terms
// overflowed SQLite's expression depth (a 500) and 20,000 cost two seconds of
// CPU per request on either database. Ten terms of up to a username's length
// (150) is more than any person types into a search box.
const (
	MaxSearchTerms   = 10
	MaxSearchTermLen = 150
	MaxSearchLen     = 256
)

// searchTerms splits a ?search= value the way DRF's SearchFilter does, into
// case-folded username keys. A value over the bounds above is a 400 on the
// search field, checked before any term is folded or queried.
func searchTerms(search string) ([]string, error) {
	if utf8.RuneCountInString(search) > MaxSearchLen {
		return nil, apierr.Field("search", fmt.Sprintf("Ensure this value has at most %d characters.", MaxSearchLen))
	}
	// NUL dropped, invalid UTF-8 (a %FF in the query) replaced as Django's
	// QueryDict does: neither may reach a query on PostgreSQL.
	search = CleanText(search)
	terms := strings.FieldsFunc(search, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(terms) > MaxSearchTerms {
		return nil, apierr.Field("search", fmt.Sprintf("Ensure the search has at most %d terms (separated by spaces or commas).", MaxSearchTerms))
	}
	for i, term := range terms {
		if utf8.RuneCountInString(term) > MaxSearchTermLen {
			return nil, apierr.Field("search", fmt.Sprintf("Ensure each search term has at most %d characters.", MaxSearchTermLen))
		}
		terms[i] = UsernameKey(term)
	}
	return terms, nil
}
