package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"authsvc/app"
	"authsvc/config"
)

// keysCommand runs "authsvc keys list|rotate|retire" against the configured database.
func keysCommand(cfg config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) (int, error) {
	ctx := context.Background()
	a, err := app.New(ctx, cfg, app.Options{Log: log})
	if err != nil {
		return 1, err
	}
	defer a.Close()
	if a.SigningKeys == nil {
		return 1, fmt.Errorf("keys: AUTH_SIGNING_ALG is %s; key rotation applies to RS256, ES256 and EdDSA", cfg.SigningAlg)
	}
	return a.SigningKeys.Command(ctx, args, stdout, stderr)
}
