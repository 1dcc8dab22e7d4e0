// Package djangoimport moves users from a Django project's auth_user table
// (SQLite or PostgreSQL) into this service: names, addresses, flags, dates
// and password hashes as they are, so users keep their passwords; the
// Django hashes are upgraded to argon2id on each user's next login.
package djangoimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"authsvc/accounts"
	"authsvc/models"
	"authsvc/passwords"
)

// Summary counts what happened to the rows.
type Summary struct {
	Imported  int // created here
	Unchanged int // already here (same username and email); left as they are
	Conflicts int // username or email held by a different user here
	Invalid   int // username or email this service does not accept
	// Unusable counts imported users whose password cannot be checked here
	// (Django's unusable "!" passwords and hash formats other than
	// pbkdf2_sha256 and argon2): they must reset their password.
	Unusable int
}

func (s Summary) String() string {
	return fmt.Sprintf("imported %d, unchanged %d, conflicts %d, invalid %d", s.Imported, s.Unchanged, s.Conflicts, s.Invalid)
}

// Run imports every auth_user row of the Django database from into store,
// writing one line per imported, conflicting or invalid row and the summary
// to out. It only ever creates users: a user already here is never modified,
// so running it twice changes nothing the second time (and a password that
// was upgraded to argon2id at login is never put back).
func Run(ctx context.Context, store *models.Store, from string, out io.Writer) (Summary, error) {
	var sum Summary
	db, err := openSource(ctx, from)
	if err != nil {
		return sum, err
	}
	rows, err := readUsers(ctx, db)
	db.Close()
	if err != nil {
		return sum, err
	}
	for _, r := range rows {
		if err := importOne(ctx, store, r, out, &sum); err != nil {
			return sum, err
		}
	}
	fmt.Fprintln(out, sum.String())
	if sum.Unusable > 0 {
		fmt.Fprintf(out, "%d imported users have no usable password here and must reset it\n", sum.Unusable)
	}
	return sum, nil
}

func importOne(ctx context.Context, store *models.Store, r djangoUser, out io.Writer, sum *Summary) error {
	name := accounts.NormalizeUsername(r.Username)
	email := strings.TrimSpace(r.Email)
	if msg := accounts.UsernameError(name); msg != "" {
		sum.Invalid++
		fmt.Fprintf(out, "invalid   django id %d: username %q: %s\n", r.ID, r.Username, msg)
		return nil
	}
	if email != "" {
		if msg := accounts.EmailError(email); msg != "" {
			sum.Invalid++
			fmt.Fprintf(out, "invalid   django id %d (%s): email: %s\n", r.ID, name, msg)
			return nil
		}
	}
	key := accounts.UsernameKey(name)
	var emailKey *string
	if email != "" {
		k := accounts.EmailKey(email)
		emailKey = &k
	}
	conflict := func(why string) error {
		sum.Conflicts++
		fmt.Fprintf(out, "conflict  django id %d (%s): %s\n", r.ID, name, why)
		return nil
	}
	existing, err := store.UserByUsernameKey(ctx, key)
	switch {
	case err == nil:
		if sameKey(existing.EmailKey, emailKey) {
			sum.Unchanged++
			return nil
		}
		return conflict(fmt.Sprintf("username taken by a different user (id %d)", existing.ID))
	case !errors.Is(err, models.ErrNotFound):
		return fmt.Errorf("django id %d: %w", r.ID, err)
	}
	if emailKey != nil {
		other, err := store.UserByEmailKey(ctx, *emailKey)
		if err == nil {
			return conflict(fmt.Sprintf("email taken by a different user (id %d)", other.ID))
		}
		if !errors.Is(err, models.ErrNotFound) {
			return fmt.Errorf("django id %d: %w", r.ID, err)
		}
	}
	hash, unusable := convertHash(r.Password)
	u := &models.User{
		Username: name, UsernameKey: key, Email: email, EmailKey: emailKey,
		PasswordHash: hash,
		IsStaff:      r.IsStaff || r.IsSuperuser, IsSuperuser: r.IsSuperuser, IsActive: r.IsActive,
		DateJoined: r.DateJoined, LastLogin: r.LastLogin,
		// The address was the user's in the old system, where reset mail
		// went to it: it comes over as proven.
		EmailVerified: email != "",
	}
	switch err := store.CreateUser(ctx, u); {
	case errors.Is(err, models.ErrUsernameTaken):
		return conflict("username taken by a different user")
	case errors.Is(err, models.ErrEmailTaken):
		return conflict("email taken by a different user")
	case err != nil:
		return fmt.Errorf("django id %d: %w", r.ID, err)
	}
	sum.Imported++
	note := ""
	if unusable != "" {
		sum.Unusable++
		note = " (no usable password: " + unusable + ": must reset)"
	}
	fmt.Fprintf(out, "imported  django id %d -> id %d (%s)%s\n", r.ID, u.ID, name, note)
	return nil
}

func sameKey(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// convertHash maps a Django password value to the stored form and, when
// this service cannot check it, says why (usable: ""). pbkdf2_sha256 is
// verified as it is, up to passwords.MaxPBKDF2Iterations; Django's argon2
// hasher writes "argon2" before argon2-cffi's PHC string, which is exactly
// the form stored here. Anything else (Django's unusable "!..." passwords,
// bcrypt, legacy formats) is kept as it is: it never matches a password, so
// the user logs in only after a reset.
func convertHash(h string) (stored, unusable string) {
	switch {
	case strings.HasPrefix(h, "pbkdf2_sha256$"):
		if _, ok := passwords.PBKDF2Iterations(h); !ok {
			// Every failed password check is padded to the slowest PBKDF2
			// hash stored (passwords.Hasher.Verify), so one row with a huge
			// count would slow every failed login: the "!" keeps it out of
			// that count and makes it unusable, as the login would anyway.
			return "!" + h, fmt.Sprintf("PBKDF2 iteration count not a number from 1 to %d", passwords.MaxPBKDF2Iterations)
		}
		return h, ""
	case strings.HasPrefix(h, "argon2$argon2id$"):
		if !argon2Bounded(h) {
			// Verifying it would cost more than any sane login; a row that
			// demands gigabytes is an attack, not a password.
			return "!" + h, "argon2 cost above 256 MiB, 10 passes or 64 lanes"
		}
		return strings.TrimPrefix(h, "argon2"), ""
	case strings.HasPrefix(h, "!"):
		return h, "Django's unusable password"
	}
	return h, "hash format not supported here"
}

// argon2Bounded reports whether a Django argon2 hash asks for at most 256 MiB,
// 10 passes and 64 lanes (Django's default is 100 MiB, 2, 8).
func argon2Bounded(h string) bool {
	parts := strings.Split(h, "$")
	if len(parts) != 6 {
		return false
	}
	var m, t, p uint64
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	return m >= 8 && m <= 256*1024 && t >= 1 && t <= 10 && p >= 1 && p <= 64
}
