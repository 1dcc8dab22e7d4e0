#!/usr/bin/env bash
# Reliability suites that kill, stop or soak the real binary (issue 9). The
# plain reliability tests (graceful shutdown, full disk, read-only folder,
# backup under load) already run in `go test ./...`; this adds:
#   - the crash test: 20 kill -9 cycles under mixed load, SQLite and PostgreSQL
#   - PostgreSQL stopped and restarted under load (stops the local server, so
#     it runs here, alone, never in parallel with other suites)
set -euo pipefail
cd "$(dirname "$0")/../.."
export AUTH_TEST_POSTGRES_URL="${AUTH_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"

echo "--- crash test (SQLite and PostgreSQL)"
go test -count=1 -timeout 20m -tags crash -run 'TestCrashSafety' -v ./reliability/ 2>&1 | grep -E '^(=== RUN|--- |PASS|FAIL|ok|\s+crash_test)' 

echo "--- PostgreSQL stopped and restarted under load"
AUTH_TEST_PG_RESTART=1 go test -count=1 -timeout 5m -run 'TestPostgresRestartUnderLoad' -v ./reliability/ 2>&1 | grep -E '^(=== RUN|--- |PASS|FAIL|ok|\s+pgrestart_test)'
