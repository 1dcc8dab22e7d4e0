#!/usr/bin/env bash
# End-to-end test of examples/spa in headless Chromium (both refresh-token
# storage modes). Installs Debian's chromium if missing and the pinned
# playwright-core (npm ci), builds the server and the SPA's static server,
# and runs examples/spa/e2e/spa.test.mjs, which starts them on free ports.
# Screenshots and server logs land in artifacts/spa/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

if ! command -v chromium >/dev/null 2>&1; then
  echo "browser.sh: installing chromium" >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
(cd examples/spa/e2e && npm ci --no-audit --no-fund)

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/authsvc" .
go build -o "$bin/spa-serve" ./examples/spa/serve

mkdir -p artifacts/spa
if ! AUTHSVC_BIN="$bin/authsvc" SPA_SERVE_BIN="$bin/spa-serve" CHROMIUM="$(command -v chromium)" \
  node examples/spa/e2e/spa.test.mjs; then
  echo "browser.sh: FAILED; server logs in artifacts/spa/" >&2
  exit 1
fi
echo "browser.sh: passed; screenshots in artifacts/spa/"
