package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"authsvc/models"
	"authsvc/passwords"
)

// seedDirect bulk-loads o.seedDirect users into the SQLite file o.db through
// the models package, in transactions of 50,000, all with one precomputed
// argon2id hash of the tool's password (hashing a million passwords would
// take hours and measures nothing). Usernames are seed0000000, seed0000001...
func seedDirect(o options, w io.Writer) error {
	if o.db == "" {
		return errors.New("-seed-direct needs -db PATH (the service's SQLite file)")
	}
	ctx := context.Background()
	st, err := models.Open(ctx, models.Options{Driver: "sqlite", DSN: o.db, Synchronous: "NORMAL"})
	if err != nil {
		return err
	}
	defer st.Close()
	hash, err := passwords.NewHasher(passwords.OWASP, 0).Hash(ctx, password)
	if err != nil {
		return err
	}
	start := time.Now()
	now := start.UTC().Truncate(time.Second)
	const chunk = 50_000
	batch := make([]models.User, 0, chunk)
	for i := 0; i < o.seedDirect; i++ {
		name := fmt.Sprintf("seed%07d", i)
		batch = append(batch, models.User{Username: name, UsernameKey: name, PasswordHash: hash,
			IsActive: true, DateJoined: now})
		if len(batch) == chunk || i == o.seedDirect-1 {
			if err := st.InsertUsers(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	n, err := st.CountUsers(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "seeded %d users into %s in %s; the table now holds %d\n", o.seedDirect, o.db, time.Since(start).Round(time.Millisecond), n)
	return nil
}
