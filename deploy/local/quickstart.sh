#!/usr/bin/env bash
# The README's first command: install, compile, bring the local stack up, run the live demo
# (deploy/quickstart/demo.ts). Extra arguments go to the demo, e.g. --duration 60.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

if [ ! -d node_modules/kafkajs ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[quickstart] installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
# The demo's worker runs the compiled JavaScript (bin/siphon.js runs dist/ when it is current).
node bin/compiled-build.js build-if-stale
bash deploy/local/stack.sh up
echo
exec node --import tsx deploy/quickstart/demo.ts "$@"
