package reliability

import (
	"testing"

	"authsvc/internal/testserver"
)

// postgresDatabase is a fresh database on the server named by
// AUTH_TEST_POSTGRES_URL, dropped when the test ends; without the variable
// the test is skipped, except in CI, where that is a failure.
func postgresDatabase(t *testing.T) string {
	t.Helper()
	return testserver.PostgresDatabase(t, testserver.RequirePostgres(t), t.TempDir())
}
