package cluster

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"authsvc/app"
	"authsvc/config"
	"authsvc/internal/testserver"
	"authsvc/models"
)

// TestSimultaneousStart starts several instances at the same moment on an
// empty database, as a deployment does: each migrates the schema and looks
// for a signing key. Without the advisory locks two CREATE TABLEs collide
// (or two instances generate different "first" keys); with them every
// instance starts and all sign with one key.
func TestSimultaneousStart(t *testing.T) {
	t.Parallel()
	pg := testserver.RequirePostgres(t)
	dir := t.TempDir()
	env := map[string]string{
		"AUTH_DATABASE_URL": testserver.PostgresDatabase(t, pg, dir),
		"AUTH_DATA_DIR":     dir,
		"AUTH_SECRET_KEY":   testserver.Secret,
		"AUTH_SIGNING_ALG":  "EdDSA",
		"AUTH_THROTTLE":     "off",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	apps := make([]*app.App, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			apps[i], errs[i] = app.New(context.Background(), cfg, app.Options{HashParams: &testserver.FastHash, Log: slog.New(slog.DiscardHandler)})
		}()
	}
	close(start)
	wg.Wait()
	kids := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("instance %d: %v", i, errs[i])
			continue
		}
		kids[apps[i].Tokens.Keys().Signing.ID] = true
		apps[i].Close()
	}
	if len(kids) > 1 {
		t.Errorf("instances started with %d different signing keys, want 1", len(kids))
	}
	// And a plain reopen finds the schema complete.
	driver, dsn, _ := cfg.Database()
	s, err := models.Open(context.Background(), models.Options{Driver: driver, DSN: dsn})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	s.Close()
}
