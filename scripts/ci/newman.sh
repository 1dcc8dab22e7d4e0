#!/usr/bin/env bash
# Runs the Postman collection with newman (pinned in postman/package.json)
# against a freshly built server binary on a free port with a temporary
# data folder. Fails loudly: any failed assertion, a server that does not
# come up, or a server that dies, is a non-zero exit with its log shown.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

(cd postman && npm ci --no-audit --no-fund)

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/authsvc" .
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
AUTH_ADDR="127.0.0.1:$port" AUTH_DATA_DIR="$work/data" AUTH_DATABASE_URL="sqlite://$work/auth.db" \
  "$work/authsvc" serve >"$work/server.log" 2>&1 &
pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "$base/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "newman.sh: server exited during start-up:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
if ! curl -fsS "$base/healthz" >/dev/null; then
  echo "newman.sh: server did not answer /healthz at $base" >&2
  cat "$work/server.log" >&2
  exit 1
fi

if ! postman/node_modules/.bin/newman run postman/authsvc.postman_collection.json \
  -e postman/authsvc.postman_environment.json --env-var "baseUrl=$base" --bail; then
  echo "newman.sh: FAILED; server log:" >&2
  tail -n 50 "$work/server.log" >&2
  exit 1
fi
echo "newman.sh: passed"
