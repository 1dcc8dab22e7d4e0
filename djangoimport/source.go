package djangoimport

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"authsvc/models"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "github.com/mattn/go-sqlite3"    // registers "sqlite3"
)

// djangoUser is one auth_user row as Django stores it.
type djangoUser struct {
	ID          int64
	Password    string
	LastLogin   *time.Time
	IsSuperuser bool
	Username    string
	Email       string
	IsStaff     bool
	IsActive    bool
	DateJoined  time.Time
}

// openSource opens the Django database read-only: a SQLite file (a path or
// sqlite://PATH) or PostgreSQL (postgres://...).
func openSource(ctx context.Context, from string) (*sql.DB, error) {
	var db *sql.DB
	var err error
	switch {
	case strings.HasPrefix(from, "postgres://"), strings.HasPrefix(from, "postgresql://"):
		db, err = sql.Open("pgx", from)
	default:
		path := strings.TrimPrefix(from, "sqlite://")
		if path == "" {
			return nil, errors.New("--from: empty path")
		}
		// Refuse a missing file: SQLite would create an empty database.
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("--from: %w", err)
		}
		db, err = sql.Open("sqlite3", models.SQLiteURI(path, "mode=ro&_busy_timeout=5000"))
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redact(from), err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", redact(from), err)
	}
	return db, nil
}

const selectUsers = `SELECT id, password, last_login, is_superuser, username, email, is_staff, is_active, date_joined
 FROM auth_user ORDER BY id`

// readUsers loads every row. A Django project has thousands of users, not
// millions, so holding them is cheaper than keeping a cursor open on the
// source while writing to the destination.
func readUsers(ctx context.Context, db *sql.DB) ([]djangoUser, error) {
	rows, err := db.QueryContext(ctx, selectUsers)
	if err != nil {
		return nil, fmt.Errorf("read auth_user: %w", err)
	}
	defer rows.Close()
	var out []djangoUser
	for rows.Next() {
		var u djangoUser
		var lastLogin, superuser, staff, active, joined any
		var email sql.NullString
		if err := rows.Scan(&u.ID, &u.Password, &lastLogin, &superuser, &u.Username, &email, &staff, &active, &joined); err != nil {
			return nil, fmt.Errorf("read auth_user: %w", err)
		}
		u.Email = email.String
		if u.IsSuperuser, err = asBool(superuser); err == nil {
			if u.IsStaff, err = asBool(staff); err == nil {
				u.IsActive, err = asBool(active)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("auth_user id %d: %w", u.ID, err)
		}
		if u.DateJoined, err = asTime(joined); err != nil {
			return nil, fmt.Errorf("auth_user id %d: date_joined: %w", u.ID, err)
		}
		if lastLogin != nil {
			t, err := asTime(lastLogin)
			if err != nil {
				return nil, fmt.Errorf("auth_user id %d: last_login: %w", u.ID, err)
			}
			u.LastLogin = &t
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read auth_user: %w", err)
	}
	return out, nil
}

// asBool reads a boolean column: PostgreSQL gives bool, SQLite an integer
// (or, depending on the declared type, a bool).
func asBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case []byte:
		return strconv.ParseBool(string(x))
	case string:
		return strconv.ParseBool(x)
	}
	return false, fmt.Errorf("not a boolean: %T", v)
}

// djangoTimeLayouts are the text forms Django's SQLite backend writes.
var djangoTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
}

// asTime reads a datetime column as UTC. Django with USE_TZ stores naive
// datetimes in UTC on SQLite and timestamptz on PostgreSQL.
func asTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case []byte:
		return asTime(string(x))
	case string:
		for _, l := range djangoTimeLayouts {
			if t, err := time.Parse(l, x); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("unreadable datetime %q", x)
	}
	return time.Time{}, fmt.Errorf("not a datetime: %T", v)
}

// redact hides a password in a DSN before it is printed.
func redact(from string) string {
	if i := strings.Index(from, "://"); i >= 0 {
		if at := strings.LastIndexByte(from, '@'); at > i {
			if colon := strings.IndexByte(from[i+3:at], ':'); colon >= 0 {
				return from[:i+3+colon] + ":xxxxx" + from[at:]
			}
		}
	}
	return from
}
