#!/usr/bin/env bash
# Reproduces BENCHMARKS.md: builds the server and the load tool, then
#   1. the shared run: server and load tool on both cores (the targets),
#   2. the pinned run: server on CPU 0, load tool on CPU 1 (bare Gin baseline
#      served from CPU 0 too, so the ratio compares like with like),
#   3. the scale check: profile and login with 1,000 vs 1,000,000 users,
#   4. the PostgreSQL run: profile, verify and refresh on a fresh database at
#      $BENCH_PG (default: the local test server), reported beside SQLite,
#   5. the Go micro-benchmarks,
# and writes everything raw to bench/ (text tables and JSON).
#
# usage: scripts/bench.sh            (about 10 minutes)
#   BENCH_D=10s BENCH_C=64 BENCH_SCALE=1000000 BENCH_SKIP=scale,postgres,micro
set -euo pipefail
cd "$(dirname "$0")/.."
D=${BENCH_D:-10s}
C=${BENCH_C:-64}
SCALE=${BENCH_SCALE:-1000000}
SKIP=${BENCH_SKIP:-}
OUT=bench
# hashrate runs twice (before login, and last); login's ratio uses the mean.
SCENARIOS=${BENCH_SCENARIOS:-profile,verify,refresh,hashrate,login,register,spa,loginflood,login@256,hashrate}
TMP=$(mktemp -d /tmp/authsvc-bench.XXXXXX)
BIN=$TMP/bin
# The 1M-user table takes minutes to write; it is cached between runs and
# copied fresh for each one.
CACHE=${BENCH_CACHE:-/tmp/authsvc-bench-cache}
mkdir -p "$OUT" "$BIN" "$CACHE"
. scripts/lib-server.sh
trap 'stop_server; kill ${BARE_PID:-} 2>/dev/null || true; rm -rf "$TMP"' EXIT

go build -o "$BIN/authsvc" .
go build -o "$BIN/authload" ./cmd/authload

COMMIT="$(git rev-parse --short HEAD)$(git diff --quiet -- . ':!bench' ':!BENCHMARKS.md' || echo ' (dirty)')"
{
	echo "date: $(date -u +%FT%TZ)"
	echo "commit: $COMMIT"
	echo "uptime: $(uptime)"
	echo "kernel: $(uname -srm)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs) x $(nproc)"
	echo "memory: $(free -m | awk '/Mem:/{print $2" MiB"}')"
	echo "go: $(go version)"
	echo "disk: $(df -h /tmp | tail -1)"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt"

skip() { [[ ",$SKIP," == *",$1,"* ]]; }

if ! skip shared; then
	PORT=$(free_port)
	start_server shared "$TMP/shared" "$PORT"
	"$BIN/authload" -label shared -url "http://127.0.0.1:$PORT" -c "$C" -d "$D" -scenario "$SCENARIOS" \
		-server-pid "$SERVER_PID" -server-log "$SERVER_LOG" -json "$OUT/shared.json" | tee "$OUT/shared.txt"
	grep -c '"rotation batch committed"' "$SERVER_LOG" | sed 's/^/group commits logged: /' >>"$OUT/shared.txt"
	stop_server
fi

if ! skip pinned; then
	PORT=$(free_port)
	BPORT=$(free_port)
	start_server pinned "$TMP/pinned" "$PORT" taskset -c 0
	taskset -c 0 "$BIN/authload" -serve-bare "127.0.0.1:$BPORT" >/dev/null &
	BARE_PID=$!
	sleep 0.5
	taskset -c 1 "$BIN/authload" -label pinned -url "http://127.0.0.1:$PORT" -bare-url "http://127.0.0.1:$BPORT" \
		-c "$C" -d "$D" -scenario "$SCENARIOS" -server-pid "$SERVER_PID" -server-log "$SERVER_LOG" \
		-json "$OUT/pinned.json" | tee "$OUT/pinned.txt"
	kill "$BARE_PID"
	wait "$BARE_PID" 2>/dev/null || true
	BARE_PID=
	stop_server
fi

if ! skip scale; then
	rm -f "$OUT"/scale-*
	for n in 1000 "$SCALE"; do
		if [ ! -f "$CACHE/users-$n.db" ]; then
			"$BIN/authload" -seed-direct "$n" -db "$CACHE/users-$n.db.tmp"
			sqlite3 "$CACHE/users-$n.db.tmp" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null 2>&1 || true
			rm -f "$CACHE/users-$n.db.tmp-wal" "$CACHE/users-$n.db.tmp-shm"
			mv "$CACHE/users-$n.db.tmp" "$CACHE/users-$n.db"
		fi
		mkdir -p "$TMP/scale-$n"
		cp "$CACHE/users-$n.db" "$TMP/scale-$n/auth.db"
		PORT=$(free_port)
		start_server "scale-$n" "$TMP/scale-$n" "$PORT"
		"$BIN/authload" -label "users=$n" -url "http://127.0.0.1:$PORT" -no-bare -c "$C" -d "$D" \
			-scenario profile,login -server-pid "$SERVER_PID" -json "$OUT/scale-$n.json" | tee "$OUT/scale-$n.txt"
		stop_server
	done
fi

if ! skip postgres; then
	PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
	DB=authsvc_bench_$$
	psql "$PG" -qc "CREATE DATABASE $DB"
	PORT=$(free_port)
	SERVER_DB_URL=${PG/\/test\?/\/$DB?} start_server postgres "$TMP/postgres" "$PORT"
	"$BIN/authload" -label postgres -url "http://127.0.0.1:$PORT" -c "$C" -d "$D" -scenario profile,verify,refresh \
		-server-pid "$SERVER_PID" -json "$OUT/postgres.json" | tee "$OUT/postgres.txt"
	stop_server
	psql "$PG" -qc "DROP DATABASE $DB"
fi

if ! skip micro; then
	go test -run '^$' -bench . -benchmem -benchtime=${BENCH_TIME:-1s} ./tokens ./handlers ./models 2>&1 | tee "$OUT/micro.txt"
	go test -run '^$' -bench . -benchmem -benchtime=20x ./passwords 2>&1 | tee -a "$OUT/micro.txt"
fi
echo "load after: $(uptime)" >>"$OUT/machine.txt"
# The Markdown tables BENCHMARKS.md carries, generated from the JSON.
for f in "$OUT"/shared.json "$OUT"/pinned.json "$OUT"/scale-*.json "$OUT"/postgres.json; do
	[ -f "$f" ] && "$BIN/authload" -markdown "$f" && echo
done >"$OUT/tables.md"
if [ -f "$OUT/micro.txt" ]; then
	{
		echo "| benchmark | ns/op | B/op | allocs/op | other |"
		echo "|---|---:|---:|---:|---|"
		awk '/^Benchmark/ {
			other = ""; ns = ""; b = ""; a = ""
			for (i = 3; i < NF; i += 2) {
				if ($(i+1) == "ns/op") ns = $i
				else if ($(i+1) == "B/op") b = $i
				else if ($(i+1) == "allocs/op") a = $i
				else other = other $i " " $(i+1) " "
			}
			printf "| %s | %s | %s | %s | %s|\n", $1, ns, b, a, other
		}' "$OUT/micro.txt"
	} >"$OUT/micro.md"
fi
python3 scripts/bench_targets.py "$OUT" >"$OUT/targets.md"
# Splice the generated tables into BENCHMARKS.md between their markers.
python3 - "$OUT" <<'PY'
import pathlib, re, sys
out = pathlib.Path(sys.argv[1])
doc = pathlib.Path("BENCHMARKS.md")
text = doc.read_text()
for name in ("tables", "micro", "machine", "targets"):
    f = out / (name + (".txt" if name == "machine" else ".md"))
    if not f.exists():
        continue
    body = f.read_text().strip()
    if name == "machine":
        body = "```\n" + body + "\n```"
    text = re.sub(r"(<!-- BEGIN %s -->\n).*?(<!-- END %s -->)" % (name, name),
                  lambda m: m.group(1) + body + "\n" + m.group(2), text, flags=re.S)
doc.write_text(text)
PY
echo "results in $OUT/"
