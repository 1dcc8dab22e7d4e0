#!/usr/bin/env bash
# Writes testdata/ for the upgrade test: databases written by the last
# version before refresh generations (commit bb1fddf, "today's main" when
# rotation v2 landed), holding live refresh tokens, and those tokens.
#
#   bash internal/upgrade/make-fixture.sh [COMMIT]
#
# Needs git history, Go, curl, jq, and PostgreSQL at $PG (trust auth) for
# the PostgreSQL dump. The output is committed: rerun only to change it.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
commit=${1:-bb1fddf}
pg=${PG:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
secret=test-secret-test-secret-test-secret-0123456789 # testserver.Secret
work=$(mktemp -d)
trap 'git -C "$here" worktree remove --force "$work/src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$here" worktree add -q --detach "$work/src" "$commit"
(cd "$work/src" && go build -o "$work/authsvc" .)

# run DBURL OUTPREFIX: start the old server on DBURL, make the tokens, stop.
run() {
  local db=$1 out=$2 port=18765
  AUTH_DATABASE_URL=$db AUTH_SECRET_KEY=$secret AUTH_THROTTLE=off AUTH_ADDR=127.0.0.1:$port \
    AUTH_DATA_DIR=$work/data AUTH_LOG_FORMAT=json "$work/authsvc" serve 2>"$work/log" &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.2; done
  local api=http://127.0.0.1:$port/api/auth
  curl -sf -H 'Content-Type: application/json' -d '{"username":"alice","password":"correct-Horse-battery-9"}' "$api/register/" >/dev/null
  login() { curl -sf -H 'Content-Type: application/json' -d '{"username":"alice","password":"correct-Horse-battery-9"}' "$api/token/"; }
  local a b a1
  a=$(login | jq -r .refresh)   # session A: rotated once, so it has a retired token
  b=$(login | jq -r .refresh)   # session B: its first token, live
  a1=$(curl -sf -H 'Content-Type: application/json' -d "{\"refresh\":\"$a\"}" "$api/token/refresh/" | jq -r .refresh)
  kill -TERM "$pid"; wait "$pid" || true
  jq -n --arg retired "$a" --arg live_rotated "$a1" --arg live_first "$b" --arg at "$(date -u +%FT%TZ)" \
    --arg commit "$(git -C "$work/src" rev-parse HEAD)" \
    '{commit:$commit, written_at:$at, retired:$retired, live_rotated:$live_rotated, live_first:$live_first}' >"$out.json"
}

run "sqlite://$work/auth.db" "$work/sqlite"
cp "$work/auth.db" "$here/testdata/sqlite.db"
cp "$work/sqlite.json" "$here/testdata/sqlite.json"

name=authsvc_upgrade_fixture
psql "$pg" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
pgdb=${pg/\/test\?/\/$name?}
run "$pgdb" "$work/postgres"
pg_dump --no-owner --no-privileges --inserts "$pgdb" >"$here/testdata/postgres.sql"
cp "$work/postgres.json" "$here/testdata/postgres.json"
psql "$pg" -qc "DROP DATABASE $name"
echo "wrote $here/testdata"
