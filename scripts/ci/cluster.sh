#!/bin/sh
# Two real server processes on one fresh PostgreSQL database (RS256 keys in
# the database, throttle counters in Redis when it answers): a token from A
# works at B, a logout at A ends access at B at once, a rotation made with
# "authsvc signing-keys rotate" is published by both at their next key poll
# (it signs a few seconds later, see DEPLOY.md), and "signing-keys retire"
# drops the old key from both at their next poll. A poll is due every
# second, but the waits below are only a 60 s failsafe against a poller that
# never runs: a busy CI machine may delay a poll, and that must not fail the
# run (the Go tests wait on the poller itself). The Go tests in
# internal/cluster cover the races; this proves the same with processes.
set -eu
cd "$(dirname "$0")/../.."
: "${AUTH_TEST_POSTGRES_URL:=postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
db="authsvc_ci_cluster_$$"
tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	psql -q "$AUTH_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail() { echo "cluster.sh: $*" >&2; exit 1; }

psql -q "$AUTH_TEST_POSTGRES_URL" -c "CREATE DATABASE $db" >/dev/null || fail "cannot create a database at $AUTH_TEST_POSTGRES_URL"
dburl=$(printf %s "$AUTH_TEST_POSTGRES_URL" | sed "s#^\(postgres[a-z]*://[^/]*\)/[^?]*#\1/$db#")
go build -o "$tmp/authsvc" .

export AUTH_DATABASE_URL="$dburl" AUTH_SIGNING_ALG=RS256 AUTH_LOG_LEVEL=warn AUTH_THROTTLE=off \
	AUTH_SECRET_KEY="cluster-test-secret-cluster-test-secret-0123"
if redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then export AUTH_REDIS_URL=redis://127.0.0.1:6379/0; fi
pa=${CLUSTER_PORT_A:-18441}
pb=${CLUSTER_PORT_B:-18442}
AUTH_ADDR="127.0.0.1:$pa" AUTH_DATA_DIR="$tmp/a" "$tmp/authsvc" serve &
pids="$pids $!"
AUTH_ADDR="127.0.0.1:$pb" AUTH_DATA_DIR="$tmp/b" "$tmp/authsvc" serve &
pids="$pids $!"
A="http://127.0.0.1:$pa"
B="http://127.0.0.1:$pb"
for u in "$A" "$B"; do
	i=0
	until curl -fsS "$u/readyz" >/dev/null 2>&1; do
		i=$((i + 1)); [ "$i" -le 150 ] || fail "$u did not start"; sleep 0.1
	done
done

post() { curl -sS -o "$tmp/body" -w '%{http_code}' -H 'Content-Type: application/json' -d "$2" "$1"; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$tmp/body"; }
profile() { curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" "$1/api/auth/profile/"; }
kid0() { curl -fsS "$1/.well-known/jwks.json" | sed -n 's/[^[]*\[{[^}]*"kid":"\([^"]*\)".*/\1/p'; }
has_kid() { curl -fsS "$1/.well-known/jwks.json" | grep -q "\"kid\":\"$2\""; }

creds='{"username":"cluster-demo","password":"Quartz-Velvet-93-Lantern"}'
[ "$(post "$A/api/auth/register/" "$creds")" = 201 ] || fail "register on A: $(cat "$tmp/body")"
[ "$(post "$A/api/auth/token/" "$creds")" = 200 ] || fail "login on A: $(cat "$tmp/body")"
access=$(field access)
refresh=$(field refresh)
[ "$(profile "$B" "$access")" = 200 ] || fail "B refuses A's access token"
[ "$(post "$B/api/auth/token/refresh/" "{\"refresh\":\"$refresh\"}")" = 200 ] || fail "B refuses A's refresh token"
refresh=$(field refresh)
[ "$(post "$A/api/auth/logout/" "{\"refresh\":\"$refresh\"}")" = 200 ] || fail "logout on A: $(cat "$tmp/body")"
[ "$(profile "$B" "$access")" = 401 ] || fail "B still accepts the access token after logout on A"

before=$(kid0 "$B")
AUTH_ADDR=127.0.0.1:0 AUTH_DATA_DIR="$tmp/cli" "$tmp/authsvc" signing-keys rotate >"$tmp/rotate" || fail "signing-keys rotate"
new=$(sed -n 's/^new key \([^ ]*\) .*/\1/p' "$tmp/rotate")
[ -n "$new" ] || fail "signing-keys rotate printed no kid: $(cat "$tmp/rotate")"
i=0
until has_kid "$A" "$new" && has_kid "$B" "$new"; do
	i=$((i + 1)); [ "$i" -le 600 ] || fail "new key not published by both instances within 60 s"; sleep 0.1
done
AUTH_ADDR=127.0.0.1:0 AUTH_DATA_DIR="$tmp/cli" "$tmp/authsvc" signing-keys retire "$before" >/dev/null || fail "signing-keys retire"
i=0
while has_kid "$A" "$before" || has_kid "$B" "$before"; do
	i=$((i + 1)); [ "$i" -le 600 ] || fail "retired key still published after 60 s"; sleep 0.1
done
[ "$(kid0 "$A")" = "$new" ] && [ "$(kid0 "$B")" = "$new" ] || fail "the pending key did not take over after retire"
echo "cluster.sh: ok"
