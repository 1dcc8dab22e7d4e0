package metrics_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"authsvc/internal/testserver"
)

// TestScrapeRunsNoQuery: the session gauge used to run a COUNT over the
// sessions table on every scrape, so a flood of scrapes (the endpoint is
// often open inside the network) was a flood of table scans. Scrapes must
// read a value kept up to date in the background, and run no query at all.
func TestScrapeRunsNoQuery(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	s.NewUser("scraped")
	// Count the statements that reach the database from here on, with a
	// callback on the real store's read and write handles.
	var queries atomic.Int64
	dbs := []*gorm.DB{s.App.Store.W}
	if s.App.Store.R != s.App.Store.W { // one pool on PostgreSQL
		dbs = append(dbs, s.App.Store.R)
	}
	for _, db := range dbs {
		if err := db.Callback().Query().After("gorm:query").Register("test:count-queries", func(tx *gorm.DB) {
			if strings.Contains(tx.Statement.SQL.String(), "sessions") {
				queries.Add(1)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	const scrapes = 40
	var wg sync.WaitGroup
	for range scrapes {
		wg.Go(func() { scrape(t, s, nil) })
	}
	wg.Wait()
	if n := queries.Load(); n != 0 {
		t.Fatalf("%d scrapes ran %d session queries, want 0", scrapes, n)
	}
}
