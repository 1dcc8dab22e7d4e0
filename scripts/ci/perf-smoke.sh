#!/usr/bin/env bash
# Performance smoke test for CI: every load scenario and every benchmark runs
# for a moment. It fails on any 5xx, transport error, "database is locked" or
# other unexpected answer, and on a benchmark that fails; never on speed.
set -euo pipefail
cd "$(dirname "$0")/../.."
TMP=$(mktemp -d /tmp/authsvc-smoke.XXXXXX)
BIN=$TMP/bin
mkdir -p "$BIN"
. scripts/lib-server.sh
trap 'stop_server; rm -rf "$TMP"' EXIT

go build -o "$BIN/authsvc" .
go build -o "$BIN/authload" ./cmd/authload

PORT=$(free_port)
start_server smoke "$TMP/srv" "$PORT"
"$BIN/authload" -strict -url "http://127.0.0.1:$PORT" -c 8 -users 8 -flood 4 -d ${SMOKE_D:-2s} \
	-spa-calls 6 -spa-refresh 3 -server-pid "$SERVER_PID" -server-log "$SERVER_LOG" \
	-scenario profile,verify,refresh,login@4,register@4,spa,loginflood,hashrate
if grep -q '"level":"ERROR"' "$SERVER_LOG"; then
	echo "server logged errors:" >&2
	grep '"level":"ERROR"' "$SERVER_LOG" | head -5 >&2
	exit 1
fi
stop_server

go test -run '^$' -bench . -benchmem -benchtime=100x ./tokens ./handlers ./models
go test -run '^$' -bench . -benchmem -benchtime=2x ./passwords
echo "perf smoke: ok"
