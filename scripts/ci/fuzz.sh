#!/usr/bin/env bash
# Runs every fuzz target for a bounded number of executions after the
# committed seed corpora have passed as ordinary tests. Fails on the first
# crash; `go test` then writes the crashing input under the package's
# testdata/fuzz/<Target>/, which is committed with the fix.
#
# The budget is a count (-fuzztime Nx), not a duration: with a duration,
# Go's fuzz coordinator before 1.27 can report its own deadline as a failure
# ("context deadline exceeded", no crasher) when a worker is mid-execution
# as the time runs out on a busy machine (golang/go#75804). A count has no
# deadline to race. The counts are about 20 s of fuzzing each on this
# project's two-core machines; FUZZSCALE multiplies them (FUZZSCALE=10 for
# a longer local run).
set -euo pipefail
cd "$(dirname "$0")/../.."

FUZZSCALE="${FUZZSCALE:-1}"
targets=(
	"./tokens FuzzVerify 300000"
	"./middleware FuzzParseAuthorization 60000"
	"./handlers FuzzRequestDecoding 30000"
)

for t in "${targets[@]}"; do
	read -r pkg name count <<<"$t"
	n=$((count * FUZZSCALE))
	echo "== fuzz $name in $pkg for ${n} executions"
	go test -run "^${name}\$" -fuzz "^${name}\$" -fuzztime "${n}x" "$pkg"
done
echo "== fuzz: no crash"
