#!/bin/sh
# Starts the real binary with RS256 on a throwaway SQLite database, gets an
# access token over HTTP, and verifies it with examples/verifier using only
# the JWKS URL, as a resource server in another process would.
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

go build -o "$tmp/authsvc" .
go build -o "$tmp/verifier" ./examples/verifier
port=${VERIFIER_PORT:-18431}
base="http://127.0.0.1:$port"
AUTH_ADDR="127.0.0.1:$port" AUTH_DATABASE_URL="sqlite://$tmp/auth.db" AUTH_DATA_DIR="$tmp/data" \
	AUTH_SIGNING_ALG=RS256 AUTH_THROTTLE=off AUTH_LOG_LEVEL=warn "$tmp/authsvc" serve &
pid=$!

i=0
until curl -fsS "$base/readyz" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -gt 100 ]; then echo "verifier.sh: service did not start" >&2; exit 1; fi
	sleep 0.1
done

creds='{"username":"verifier-demo","password":"Quartz-Velvet-93-Lantern"}'
curl -fsS -H 'Content-Type: application/json' -d "$creds" "$base/api/auth/register/" >/dev/null
access=$(curl -fsS -H 'Content-Type: application/json' -d "$creds" "$base/api/auth/token/" |
	sed -n 's/.*"access":"\([^"]*\)".*/\1/p')
[ -n "$access" ] || { echo "verifier.sh: no access token" >&2; exit 1; }

"$tmp/verifier" -jwks "$base/.well-known/jwks.json" "$access"
# Change the first signature character (the last one may carry only
# padding bits, which decoders ignore).
sig=${access##*.}
case $sig in A*) c=B ;; *) c=A ;; esac
tampered="${access%.*}.$c${sig#?}"
if "$tmp/verifier" -jwks "$base/.well-known/jwks.json" "$tampered" 2>/dev/null; then
	echo "verifier.sh: a tampered token was accepted" >&2
	exit 1
fi
echo "verifier.sh: ok"
