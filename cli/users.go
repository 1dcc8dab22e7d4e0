package cli

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

// PasswordEnv names the variable scripts use to pass the password to
// createsuperuser and changepassword.
const PasswordEnv = "AUTH_SUPERUSER_PASSWORD"

// createSuperuser is the "createsuperuser" command. The password is read
// before the database is opened, so a missing one costs nothing.
func createSuperuser(ctx context.Context, e *Env, args []string) (int, error) {
	fs := flag.NewFlagSet("createsuperuser", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	username := fs.String("username", "", "username of the new superuser (required)")
	email := fs.String("email", "", "email address (optional)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *username == "" {
		return e.usage()
	}
	password, err := readPassword(e, true)
	if err != nil {
		return 1, err
	}
	return e.withApp(ctx, func(a *app.App) (int, error) {
		u, err := a.Accounts.CreateSuperuser(ctx, *username, *email, password)
		if err != nil {
			return report(e.Stderr, err)
		}
		fmt.Fprintf(e.Stdout, "Superuser %q created (id %d).\n", u.Username, u.ID)
		return 0, nil
	})
}

// changePassword is the "changepassword NAME" command.
func changePassword(ctx context.Context, e *Env, args []string) (int, error) {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return e.usage()
	}
	password, err := readPassword(e, true)
	if err != nil {
		return 1, err
	}
	return e.withApp(ctx, func(a *app.App) (int, error) {
		if err := a.Accounts.SetPasswordByName(ctx, args[0], password); err != nil {
			return report(e.Stderr, err)
		}
		fmt.Fprintf(e.Stdout, "Password changed for %q; their sessions and API keys were ended.\n", args[0])
		return 0, nil
	})
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
