package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// IsUnavailable reports whether err means the database cannot serve the
// request right now (disk full, I/O error, server down or restarting, pool
// timeout) as opposed to a bug or bad data. Such failures answer 503 with
// Retry-After, so clients retry instead of treating them as final.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ENOSPC) {
		return true
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrBusy, sqlite3.ErrLocked,
			sqlite3.ErrCantOpen, sqlite3.ErrReadonly, sqlite3.ErrNomem:
			return true
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08: connection exception; 53: insufficient resources (disk full,
		// too many connections); 57P0x: server shutting down or starting.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") ||
			strings.HasPrefix(pe.Code, "57P")
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	// pgx reports a connection lost mid-query with these texts only.
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "database or disk is full") ||
		strings.Contains(msg, "failed to connect")
}
