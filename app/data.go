package app

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"authsvc/config"
	"authsvc/tokens"
)

// dataPlaces resolves the database from cfg and checks that the data folder
// (and the SQLite file's folder) can be written: failing at start, with the
// reason, beats failing on the first write.
func dataPlaces(cfg config.Config) (driver, dsn string, err error) {
	driver, dsn, err = cfg.Database()
	if err != nil {
		return "", "", err
	}
	dirs := []string{cfg.DataDir}
	if driver == "sqlite" {
		dirs = append(dirs, filepath.Dir(dsn))
	}
	for _, d := range dirs {
		if err := writable(d); err != nil {
			return "", "", err
		}
	}
	return driver, dsn, nil
}

// loadSecret is AUTH_SECRET_KEY, or else the random secret kept in the data
// folder (generated on first start, with a warning to back it up).
func loadSecret(cfg config.Config, log *slog.Logger) (string, error) {
	if cfg.SecretKey != "" {
		return cfg.SecretKey, nil
	}
	s, created, err := tokens.LoadOrCreateSecret(cfg.DataDir)
	if err != nil {
		return "", fmt.Errorf("secret key: %w", err)
	}
	if created {
		log.Warn("AUTH_SECRET_KEY is not set: generated a random secret and kept it in the data folder; back it up, or set AUTH_SECRET_KEY, or every token is invalid once it is lost",
			"path", cfg.DataDir+"/secret_key")
	}
	return s, nil
}

// writable creates dir if needed and checks that a file can be written in it.
func writable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data folder %s cannot be created: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("data folder %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
