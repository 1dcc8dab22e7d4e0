package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// SigningKey is one asymmetric JWT signing key, shared by every instance
// through the database. The private key is sealed by the caller (AES-GCM
// under a key derived from AUTH_SECRET_KEY) and stored only that way.
//
// Life of a key: it is published (verifies, and is in the JWKS) from the
// moment it is stored; it signs from NotBefore on (publish first, sign
// later, so every instance has loaded it before any token signed with it
// exists), until a newer key's NotBefore. RetiredAt is when it stopped (or
// will stop) signing; a retired key still verifies until NotAfter, when the
// last token it signed has expired. A key with RetiredAt == nil is the
// newest (current or pending). NotAfter in the past means the key is gone:
// expired, or dropped at once by RetireSigningKey.
type SigningKey struct {
	KID        string     `gorm:"column:kid;primaryKey;size:64"`
	Alg        string     `gorm:"size:16;not null;index"`
	PublicJWK  string     `gorm:"column:public_jwk;size:2048;not null"`
	PrivateKey []byte     `gorm:"not null"`
	CreatedAt  time.Time  `gorm:"not null"`
	NotBefore  *time.Time `` // nil (rows from before this column): CreatedAt
	RetiredAt  *time.Time ``
	NotAfter   *time.Time `gorm:"index"`
}

// SignsFrom is when the key starts signing.
func (k *SigningKey) SignsFrom() time.Time {
	if k.NotBefore != nil {
		return *k.NotBefore
	}
	return k.CreatedAt
}

// SignsAt reports whether the key may sign at now: its signing time has
// come and it has not been retired (by a successor's signing time).
func (k *SigningKey) SignsAt(now time.Time) bool {
	return !k.SignsFrom().After(now) && (k.RetiredAt == nil || k.RetiredAt.After(now))
}

// SigningOrder sorts keys newest first by SignsFrom (then CreatedAt, then
// kid, so every instance agrees): the first key that SignsAt now is the
// one that signs. (Two keys with one signing time never both sign: the
// older one is retired at the newer one's signing time.)
func SigningOrder(a, b SigningKey) int {
	if c := b.SignsFrom().Compare(a.SignsFrom()); c != 0 {
		return c
	}
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.KID, b.KID)
}

// ErrKeyExists says AddSigningKey found nothing to do.
var ErrKeyExists = errors.New("signing key already present")

// AddSigningKey stores k as the newest key of its algorithm. Every key that
// would still sign when k starts (k.SignsFrom()) retires then and verifies
// until notAfter: the current key, and a pending key of an earlier
// rotation that k overtakes ("rotate --now" after "rotate"). With onlyIfNone it
// does nothing when a current key already exists (first start of several
// instances at once: one generates, the others use its key). It also does
// nothing when k's kid is already stored (the same key file imported again).
// Either case returns ErrKeyExists.
//
// The check and the insert must not interleave between instances: on
// PostgreSQL a transaction-scoped advisory lock serialises them; on SQLite
// the writer's IMMEDIATE transaction does.
func (s *Store) AddSigningKey(ctx context.Context, k *SigningKey, onlyIfNone bool, notAfter time.Time) error {
	now, notAfter := k.SignsFrom().UTC(), notAfter.UTC()
	return s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockKeys(tx); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&SigningKey{}).Where("kid = ?", k.KID).Count(&n).Error; err != nil {
			return fmt.Errorf("look up signing key: %w", err)
		}
		if n > 0 {
			return ErrKeyExists
		}
		if onlyIfNone {
			// A dropped key (NotAfter passed with RetiredAt unset) does not count.
			if err := tx.Model(&SigningKey{}).Where("alg = ? AND retired_at IS NULL AND (not_after IS NULL OR not_after > ?)", k.Alg, now).Count(&n).Error; err != nil {
				return fmt.Errorf("look up current signing key: %w", err)
			}
			if n > 0 {
				return ErrKeyExists
			}
		}
		if err := tx.Model(&SigningKey{}).Where("alg = ? AND (retired_at IS NULL OR retired_at > ?) AND (not_after IS NULL OR not_after > ?)", k.Alg, now, now).
			Updates(map[string]any{"retired_at": now, "not_after": notAfter}).Error; err != nil {
			return fmt.Errorf("retire signing key: %w", err)
		}
		if err := tx.Create(k).Error; err != nil {
			return fmt.Errorf("store signing key: %w", err)
		}
		return nil
	})
}

// SigningKeys lists the keys of alg that may still verify tokens at now
// (current, or retired with NotAfter still ahead), newest first. With
// withExpired it lists every key of alg.
func (s *Store) SigningKeys(ctx context.Context, alg string, now time.Time, withExpired bool) ([]SigningKey, error) {
	q := s.R.WithContext(ctx).Where("alg = ?", alg)
	if !withExpired {
		q = q.Where("not_after IS NULL OR not_after > ?", now.UTC())
	}
	var out []SigningKey
	if err := q.Order("created_at DESC, kid").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return out, nil
}

// lockKeys serialises signing key changes between instances: on
// PostgreSQL a transaction-scoped advisory lock; on SQLite the writer's
// IMMEDIATE transaction already does.
func (s *Store) lockKeys(tx *gorm.DB) error {
	if s.Driver != "postgres" {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", keysLockKey).Error; err != nil {
		return fmt.Errorf("take signing key lock: %w", err)
	}
	return nil
}

// ErrKeyUnknown says RetireSigningKey found no usable key of that kid.
var ErrKeyUnknown = errors.New("no such signing key (or it is already retired or expired)")

// RetireSigningKey drops key kid of alg at once (a compromised key): its
// NotAfter becomes now, so it leaves every instance's verification set and
// the JWKS at their next reload, and tokens it signed are refused. In the
// same transaction, relink restores the one rule the keys follow: from now
// on exactly one key signs at every instant. Whatever kid was (the signing
// key, a pending key anywhere in the queue, a key that only verifies), the
// remaining keys that sign now or later sign one after another, each until
// the next one's signing time; the first signs from now (a pending key
// brought forward if kid was the signing key), and if none is left, fresh
// (generated by the caller) is stored and signs from now. A retired key
// verifies for life after it stops signing, as after a rotation. An older,
// rotated-out key is never brought back.
//
// It returns the kid of the key that signs from now on.
func (s *Store) RetireSigningKey(ctx context.Context, alg, kid string, now time.Time, life time.Duration, fresh *SigningKey) (string, error) {
	// Whole seconds, as the signing-key store's times: stored and read back,
	// "now" must not land after the clock that chose it.
	now = now.UTC().Truncate(time.Second)
	var signer string
	err := s.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockKeys(tx); err != nil {
			return err
		}
		var rows []SigningKey
		if err := tx.Where("alg = ? AND (not_after IS NULL OR not_after > ?)", alg, now).Find(&rows).Error; err != nil {
			return fmt.Errorf("list signing keys: %w", err)
		}
		i := slices.IndexFunc(rows, func(r SigningKey) bool { return r.KID == kid })
		if i < 0 {
			return ErrKeyUnknown
		}
		// It stops signing now if it had not already: a key that was still
		// scheduled to sign until a successor's time must not look as if
		// it did. A key that stopped earlier keeps that time.
		err := tx.Model(&SigningKey{}).Where("kid = ?", kid).
			Updates(map[string]any{"not_after": now,
				"retired_at": gorm.Expr("CASE WHEN retired_at IS NULL OR retired_at > ? THEN ? ELSE retired_at END", now, now)}).Error
		if err != nil {
			return fmt.Errorf("retire signing key %s: %w", kid, err)
		}
		chain := signingChain(slices.Delete(rows, i, i+1), now)
		if len(chain) == 0 {
			fresh.NotBefore, fresh.RetiredAt, fresh.NotAfter = &now, nil, nil
			if err := tx.Create(fresh).Error; err != nil {
				return fmt.Errorf("store signing key: %w", err)
			}
			signer = fresh.KID
			return nil
		}
		for _, u := range relink(chain, now, life) {
			if err := tx.Model(&SigningKey{}).Where("kid = ?", u.kid).Updates(u.set).Error; err != nil {
				return fmt.Errorf("reschedule signing key %s: %w", u.kid, err)
			}
		}
		signer = chain[0].KID
		return nil
	})
	return signer, err
}

// signingChain returns the keys that sign at now or later, in the order
// they sign: the signing key (if any) and the pending keys, by signing time.
// A key whose successor retires it at or before its own signing time (a
// pending key overtaken by "rotate --now") never signs and is not part of it.
func signingChain(rows []SigningKey, now time.Time) []SigningKey {
	var chain []SigningKey
	for _, r := range rows {
		if r.RetiredAt == nil || r.RetiredAt.After(later(r.SignsFrom(), now)) {
			chain = append(chain, r)
		}
	}
	slices.SortFunc(chain, func(a, b SigningKey) int { return SigningOrder(b, a) })
	return chain
}

// keyUpdate is one row's new schedule.
type keyUpdate struct {
	kid string
	set map[string]any
}

// relink makes chain gapless from now on: the first key signs from now at
// the latest, each key signs until the next one's signing time (and
// verifies for life after), and the last one signs until a later rotation.
// It returns only the rows that change.
func relink(chain []SigningKey, now time.Time, life time.Duration) []keyUpdate {
	var out []keyUpdate
	if first := chain[0]; first.SignsFrom().After(now) {
		out = append(out, keyUpdate{first.KID, map[string]any{"not_before": now}})
	}
	for j, r := range chain {
		var retire, until *time.Time
		if j+1 < len(chain) {
			at := chain[j+1].SignsFrom().UTC()
			end := at.Add(life)
			retire, until = &at, &end
		}
		if sameTime(r.RetiredAt, retire) && sameTime(r.NotAfter, until) {
			continue
		}
		set := map[string]any{"retired_at": nil, "not_after": nil} // the last key: signs until a later rotation
		if retire != nil {
			set = map[string]any{"retired_at": *retire, "not_after": *until}
		}
		out = append(out, keyUpdate{r.KID, set})
	}
	return out
}

func sameTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// keysLockKey names the advisory lock around signing key changes.
const keysLockKey int64 = 0x61757468736b6579 // "authskey"
