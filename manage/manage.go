// Package manage implements the management commands that need the database,
// in the style operators know from Django's manage.py: createsuperuser and
// changepassword. main dispatches to them; each returns the exit code (2 for
// wrong usage).
package manage

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"authsvc/apierr"
	"authsvc/app"
)

// PasswordEnv names the variable scripts use to pass the password.
const PasswordEnv = "AUTH_SUPERUSER_PASSWORD"

// Env is what a command needs from the process.
type Env struct {
	Getenv func(string) string
	// Stdin is read for the password when PasswordEnv is empty: with a
	// no-echo prompt when it is a terminal, else one line (a pipe).
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Open builds the application on the configured database.
	Open func(ctx context.Context) (*app.App, error)
}

// Usage lists the commands of this package, for main's help text.
const Usage = `  createsuperuser --username NAME [--email ADDR]
             create a staff superuser; the password comes from ` + PasswordEnv + `,
             else a no-echo prompt on a terminal, else one line of standard input
  changepassword NAME
             set NAME's password (same sources) and end all their sessions and API keys
`

// CreateSuperuser runs "createsuperuser".
func CreateSuperuser(ctx context.Context, args []string, e Env) (int, error) {
	fs := flag.NewFlagSet("createsuperuser", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	username := fs.String("username", "", "username of the new superuser (required)")
	email := fs.String("email", "", "email address (optional)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *username == "" {
		fmt.Fprintln(e.Stderr, "usage: authsvc createsuperuser --username NAME [--email ADDR]")
		return 2, nil
	}
	password, err := readPassword(e, true)
	if err != nil {
		return 1, err
	}
	a, err := e.Open(ctx)
	if err != nil {
		return 1, err
	}
	defer a.Close()
	u, err := a.Accounts.CreateSuperuser(ctx, *username, *email, password)
	if err != nil {
		return report(e.Stderr, err)
	}
	fmt.Fprintf(e.Stdout, "Superuser %q created (id %d).\n", u.Username, u.ID)
	return 0, nil
}

// ChangePassword runs "changepassword NAME".
func ChangePassword(ctx context.Context, args []string, e Env) (int, error) {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(e.Stderr, "usage: authsvc changepassword NAME")
		return 2, nil
	}
	password, err := readPassword(e, true)
	if err != nil {
		return 1, err
	}
	a, err := e.Open(ctx)
	if err != nil {
		return 1, err
	}
	defer a.Close()
	if err := a.Accounts.SetPasswordByName(ctx, args[0], password); err != nil {
		return report(e.Stderr, err)
	}
	fmt.Fprintf(e.Stdout, "Password changed for %q; their sessions and API keys were ended.\n", args[0])
	return 0, nil
}

// report prints validation errors one per line ("field: message") and
// returns exit code 1; other errors go back to main.
func report(w io.Writer, err error) (int, error) {
	e, ok := apierr.As(err)
	if !ok || len(e.Fields) == 0 {
		if ok && e.Cause != nil {
			return 1, e.Cause
		}
		return 1, err
	}
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, msg := range e.Fields[k] {
			fmt.Fprintf(w, "%s: %s\n", k, msg)
		}
	}
	return 1, errors.New("nothing was changed")
}
