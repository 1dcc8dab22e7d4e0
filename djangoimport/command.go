package djangoimport

import (
	"context"
	"flag"
	"fmt"
	"io"

	"authsvc/config"
	"authsvc/models"
)

// Main is the "authsvc import-django --from PATH_OR_DSN" command: it opens
// the configured database and runs the import. It returns the exit code.
func Main(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("import-django", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "Django database: a SQLite file (PATH or sqlite://PATH) or postgres://...")
	if err := fs.Parse(args); err != nil {
		return 2, nil
	}
	if *from == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: authsvc import-django --from PATH_OR_DSN")
		return 2, nil
	}
	driver, dsn, err := cfg.Database()
	if err != nil {
		return 1, err
	}
	store, err := models.Open(ctx, models.Options{Driver: driver, DSN: dsn, Synchronous: cfg.SQLiteSynchronous})
	if err != nil {
		return 1, err
	}
	defer store.Close()
	if _, err := Run(ctx, store, *from, stdout); err != nil {
		return 1, fmt.Errorf("import-django: %w", err)
	}
	return 0, nil
}
