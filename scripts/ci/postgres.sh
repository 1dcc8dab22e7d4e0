#!/bin/sh
# Runs the whole test suite on PostgreSQL, plus the multi-instance tests
# (which need it). Each test gets its own database, dropped afterwards.
# Starts the local server if it is down. A missing server fails the run.
#
#   AUTH_TEST_POSTGRES_URL=postgres://user@host:5432/db?sslmode=disable scripts/ci/postgres.sh
set -eu
cd "$(dirname "$0")/../.."
: "${AUTH_TEST_POSTGRES_URL:=postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
export AUTH_TEST_POSTGRES_URL
export CI="${CI:-true}"

ready() { pg_isready -q -d "$AUTH_TEST_POSTGRES_URL" 2>/dev/null; }
if ! ready; then
	if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
		echo "postgres.sh: PostgreSQL is down; starting it" >&2
		pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
	fi
	i=0
	until ready; do
		i=$((i + 1))
		if [ "$i" -gt 30 ]; then
			echo "postgres.sh: PostgreSQL at $AUTH_TEST_POSTGRES_URL is not reachable" >&2
			exit 1
		fi
		sleep 1
	done
fi
# -p 2: each package's tests create databases; keep the server and the
# two-core machine from drowning.
go test -count=1 -p 2 ${GOTESTFLAGS:-} ./...
