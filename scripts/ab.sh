#!/usr/bin/env bash
# A/B comparison of server builds in one session: the same load scenario
# against build A, then B (then C...), then A, B again, each round on a fresh
# SQLite folder, so every build sees the same machine state (a neighbour's
# load that comes or goes shows in all, not in one). Prints every round, the
# means, and each mean over the first build's. Besides req/s and latency it
# gives the server's CPU time per request, which a busy machine disturbs far
# less than throughput.
#
# usage: scripts/ab.sh BIN_A BIN_B [BIN_C...]
#   AB_SCENARIO=verify AB_C=64 AB_D=10s AB_ROUNDS=3 AB_LABELS=A,B,... AB_OUT=DIR
# Build B from a second checkout, e.g.
#   git worktree add /tmp/old OLD_COMMIT && (cd /tmp/old && go build -o /tmp/authsvc-old .)
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: scripts/ab.sh BIN_A BIN_B [BIN_C...]" >&2; exit 2; }
cd "$(dirname "$0")/.."
BINS=()
for b in "$@"; do BINS+=("$(realpath "$b")"); done
IFS=, read -r -a LABELS <<<"${AB_LABELS:-$(printf '%s\n' A B C D E F | head -$# | paste -sd,)}"
SCENARIO=${AB_SCENARIO:-verify}
TMP=$(mktemp -d /tmp/authsvc-ab.XXXXXX)
OUT=${AB_OUT:-$TMP/out}
mkdir -p "$OUT" "$TMP/load"
. scripts/lib-server.sh
trap 'kill ${LOAD_PID:-} 2>/dev/null || true; stop_server; rm -rf "$TMP"' EXIT
go build -o "$TMP/load/authload" ./cmd/authload

# cpu_ticks prints the server's user+system CPU time in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

echo "$(date -u +%FT%TZ) $(nproc) CPUs; $(uptime)"
for round in $(seq 1 "${AB_ROUNDS:-3}"); do
	for i in "${!BINS[@]}"; do
		name=${LABELS[$i]}-$round
		# start_server runs $BIN/authsvc: one folder per build.
		BIN=$TMP/bin$i
		mkdir -p "$BIN"
		ln -sf "${BINS[$i]}" "$BIN/authsvc"
		PORT=$(free_port)
		start_server "$name" "$TMP/$name" "$PORT"
		"$TMP/load/authload" -label "${LABELS[$i]}" -no-bare -url "http://127.0.0.1:$PORT" \
			-c "${AB_C:-64}" -d "${AB_D:-10s}" -scenario "$SCENARIO" -server-pid "$SERVER_PID" \
			-json "$OUT/$name.json" >"$OUT/$name.txt" 2>"$OUT/$name.err" &
		LOAD_PID=$!
		# The server's CPU time over the scenario alone (the tool seeds users
		# first, with argon2id): from the tool's "running" line to its exit.
		until grep -q '^running' "$OUT/$name.err" || ! kill -0 $LOAD_PID 2>/dev/null; do sleep 0.05; done
		t0=$(cpu_ticks)
		wait $LOAD_PID
		echo $(($(cpu_ticks) - t0)) >"$OUT/$name.ticks"
		stop_server
	done
done

python3 - "$OUT" "$(getconf CLK_TCK)" "${LABELS[@]}" <<'EOF'
import glob, json, os, statistics, sys
out, hz, labels = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
runs = {l: [] for l in labels}
print("| build | round | req/s | p50 ms | p99 ms | errors | server CPU µs/req | load avg before |")
print("|---|---:|---:|---:|---:|---:|---:|---|")
for path in sorted(glob.glob(out + "/*.json"), key=os.path.getmtime):
    rep = json.load(open(path))
    r = rep["results"][0]
    r["cpu_us"] = int(open(path[:-5] + ".ticks").read()) * 1e6 / hz / r["requests"]
    runs[rep["label"]].append(r)
    rnd = path.rsplit("-", 1)[1][:-5]
    print(f"| {rep['label']} | {rnd} | {r['req_per_s']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} | {r['cpu_us']:.1f} | {rep['loadavg_before']} |")
print()
for key, what in (("req_per_s", "req/s"), ("p99_ms", "p99 ms"), ("cpu_us", "server CPU µs/req")):
    m = {l: sum(r[key] for r in rs) / len(rs) for l, rs in runs.items()}
    print(f"mean {what}: " + ", ".join(f"{l} {m[l]:.1f} ({m[l] / m[labels[0]]:.3f}×)" for l in labels))
# A neighbour's burst hits one round, not the builds' order within it: the
# median of the rounds' own ratios is the figure it moves least.
for key, what in (("req_per_s", "req/s"), ("cpu_us", "server CPU µs/req")):
    med = {l: statistics.median(r[key] / r0[key] for r, r0 in zip(runs[l], runs[labels[0]])) for l in labels[1:]}
    print(f"median per-round ratio of {what} to {labels[0]}: " + ", ".join(f"{l} {v:.3f}×" for l, v in med.items()))
EOF
