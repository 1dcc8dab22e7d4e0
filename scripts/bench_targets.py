#!/usr/bin/env python3
"""Checks the runs in bench/ against issue 8's targets and prints the Markdown
table BENCHMARKS.md carries (scripts/bench.sh splices it in)."""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "bench")


def load(name):
    f = out / name
    return json.loads(f.read_text()) if f.exists() else None


def row(rep, name):
    for r in (rep or {}).get("results", []):
        if r["name"] == name:
            return r
    return None


shared = load("shared.json")
scale = sorted(out.glob("scale-*.json"), key=lambda p: int(p.stem.split("-")[1]))
lines = ["| target (shared run, c=64) | measured | met |", "|---|---|---|"]


def add(target, measured, ok):
    lines.append(f"| {target} | {measured} | {'yes' if ok else '**no**'} |")


def errs(r):
    return r["errors"]


v = row(shared, "verify")
if v:
    add("verify ≥ 0.55 × bare Gin req/s", f"{v['ratio_to_bare_gin']:.3f} × ({v['req_per_s']:.0f} req/s)",
        v["ratio_to_bare_gin"] >= 0.55)
p = row(shared, "profile")
if p:
    add("profile ≥ 0.25 × bare Gin, p99 ≤ 30 ms",
        f"{p['ratio_to_bare_gin']:.3f} ×, p99 {p['p99_ms']:.1f} ms",
        p["ratio_to_bare_gin"] >= 0.25 and p["p99_ms"] <= 30)
r = row(shared, "refresh")
if r:
    ex = r.get("extra") or {}
    add("refresh (synchronous=FULL) ≥ 4,000 req/s, 0 errors, 0 locked, p99 ≤ 100 ms, batches shown",
        f"{r['req_per_s']:.0f} req/s, {errs(r)} errors, {r['database_locked']} locked, p99 {r['p99_ms']:.1f} ms, "
        f"{ex.get('rotations_per_commit_mean', '?')} rotations/commit (max {ex.get('rotations_per_commit_max', '?')})",
        r["req_per_s"] >= 4000 and errs(r) == 0 and r["database_locked"] == 0 and r["p99_ms"] <= 100)
if r:
    add("refresh at c=64 on SQLite synchronous=FULL ≥ 8,000 req/s, p99 < 25 ms (issue 16)",
        f"{r['req_per_s']:.0f} req/s, p99 {r['p99_ms']:.1f} ms",
        r["req_per_s"] >= 8000 and r["p99_ms"] < 25)
pr = row(load("postgres.json"), "refresh")
if pr:
    add("refresh on PostgreSQL: reported beside SQLite (no target), 0 errors",
        f"{pr['req_per_s']:.0f} req/s, p99 {pr['p99_ms']:.1f} ms, {errs(pr)} errors", errs(pr) == 0)
l = row(shared, "login")
# The raw rate is the mean of the run's hashrate rows (before login and last),
# as authload computes ratio_to_hashrate.
hs = [x["req_per_s"] for x in (shared or {}).get("results", []) if x["name"] == "hashrate"]
if l and hs:
    h = sum(hs) / len(hs)
    ratio = l["req_per_s"] / h if h else 0
    add("login ≥ 60 req/s and ≥ 0.85 × raw argon2id rate (same run)",
        f"{l['req_per_s']:.1f} req/s; hashrate {' and '.join(f'{x:.1f}' for x in hs)}/s (mean {h:.1f}); ratio {ratio:.3f}",
        l["req_per_s"] >= 60 and ratio >= 0.85)
f = row(shared, "loginflood:profile")
if f:
    add("profile while 64 login workers run: p99 ≤ 50 ms", f"p99 {f['p99_ms']:.1f} ms ({f['req_per_s']:.0f} req/s)",
        f["p99_ms"] <= 50)
if len(scale) >= 2:
    small, big = load(scale[0].name), load(scale[-1].name)
    ps, pb = row(small, "profile"), row(big, "profile")
    ls, lb = row(small, "login"), row(big, "login")
    if ps and pb:
        add(f"profile with {scale[-1].stem.split('-')[1]} users: p99 ≤ 1.5 × the {scale[0].stem.split('-')[1]}-user p99",
            f"{pb['p99_ms']:.1f} ms vs {ps['p99_ms']:.1f} ms ({pb['p99_ms'] / ps['p99_ms']:.2f} ×); "
            f"login p99 {lb['p99_ms']:.0f} vs {ls['p99_ms']:.0f} ms" if ls and lb else "",
            pb["p99_ms"] <= 1.5 * ps["p99_ms"])
m = row(shared, "login@256")
if m:
    add("memory: RSS ≤ 200 MiB during a c=256 login flood", f"{m['server_max_rss_mib']:.0f} MiB peak",
        0 < m["server_max_rss_mib"] <= 200)
if shared:
    bad = [x["name"] for x in shared["results"] if x["errors"] or x["database_locked"]]
    add("no errors, no \"database is locked\" in any scenario", ", ".join(bad) or "none", not bad)
print("\n".join(lines))
