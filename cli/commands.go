package cli

import (
	"context"
	"flag"
	"fmt"

	"authsvc/app"
	"authsvc/djangoimport"
)

// migrate is the "migrate" command: opening the application creates or
// upgrades the schema.
func migrate(ctx context.Context, e *Env, _ []string) (int, error) {
	return e.withApp(ctx, func(*app.App) (int, error) {
		fmt.Fprintln(e.Stdout, "schema is up to date")
		return 0, nil
	})
}

// backup is the "backup PATH" command.
func backup(ctx context.Context, e *Env, args []string) (int, error) {
	if len(args) != 1 {
		return e.usage()
	}
	return e.withApp(ctx, func(a *app.App) (int, error) {
		if err := a.Store.Backup(ctx, args[0]); err != nil {
			return 1, err
		}
		fmt.Fprintln(e.Stdout, "backup written to", args[0])
		return 0, nil
	})
}

// signingKeys is the "signing-keys list|rotate|retire" command; signingkeys
// parses its arguments and prints its own usage.
func signingKeys(ctx context.Context, e *Env, args []string) (int, error) {
	return e.withApp(ctx, func(a *app.App) (int, error) {
		if a.SigningKeys == nil {
			return 1, fmt.Errorf("signing-keys: AUTH_SIGNING_ALG is %s; key rotation applies to RS256, ES256 and EdDSA", e.cfg.SigningAlg)
		}
		return a.SigningKeys.Command(ctx, args, e.Stdout, e.Stderr)
	})
}

// importDjango is the "import-django --from PATH_OR_DSN" command.
func importDjango(ctx context.Context, e *Env, args []string) (int, error) {
	fs := flag.NewFlagSet("import-django", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	from := fs.String("from", "", "Django database: a SQLite file (PATH or sqlite://PATH) or postgres://...")
	if err := fs.Parse(args); err != nil {
		return 2, nil
	}
	if *from == "" || fs.NArg() > 0 {
		return e.usage()
	}
	return e.withApp(ctx, func(a *app.App) (int, error) {
		if _, err := djangoimport.Run(ctx, a.Store, *from, e.Stdout); err != nil {
			return 1, fmt.Errorf("import-django: %w", err)
		}
		return 0, nil
	})
}
