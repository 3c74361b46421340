#!/usr/bin/env bash
# The README's first command: install, bring the local stack up, say what runs where.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

if [ ! -d node_modules/kafkajs ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[quickstart] installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
bash deploy/local/stack.sh up
echo
bash deploy/local/stack.sh status
cat <<'TXT'

[quickstart] the local stack is up:
  Kafka          127.0.0.1:9092 (KRaft controller 127.0.0.1:9093)
  PostgreSQL     127.0.0.1:5432 (user postgres, wal_level=logical)
  MariaDB        127.0.0.1:3306 (user root, ROW binlog)
Stop the broker with `npm run stack:down`; run the tests with `npm test`.
TXT
