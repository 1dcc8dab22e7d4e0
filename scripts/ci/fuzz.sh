#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (FUZZTIME, default 20s each) after
# the committed seed corpora have passed as ordinary tests. Fails on the first
# crash; `go test` then writes the crashing input under the package's
# testdata/fuzz/<Target>/, which is committed with the fix.
set -euo pipefail
cd "$(dirname "$0")/../.."

FUZZTIME="${FUZZTIME:-20s}"
targets=(
	"./tokens FuzzVerify"
	"./middleware FuzzParseAuthorization"
	"./handlers FuzzRequestDecoding"
)

for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	echo "== fuzz $name in $pkg for $FUZZTIME"
	go test -run "^${name}\$" -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg"
done
echo "== fuzz: no crash"
