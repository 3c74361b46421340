#!/usr/bin/env bash
# The local stack: Kafka (KRaft, one node), PostgreSQL with logical decoding, MariaDB
# with a row-based binlog. Idempotent: each step says what it found and what it did.
# Usage: stack.sh up | down | status
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

say() { echo "[$1] $2"; }
fail() {
  echo "[$1] FAILED: $2" >&2
  echo "[$1] fix: $3" >&2
  exit 1
}

# shellcheck source=tools.sh
. "$HERE/tools.sh"
# shellcheck source=kafka.sh
. "$HERE/kafka.sh"
# shellcheck source=postgres.sh
. "$HERE/postgres.sh"
# shellcheck source=mariadb.sh
. "$HERE/mariadb.sh"

ensure_node_modules() {
  if [ ! -d "$ROOT/node_modules/kafkajs" ]; then
    say npm "node_modules missing, running npm ci"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
}

case "${1:-}" in
  up)
    mkdir -p "$ROOT/.cache"
    tools_up
    ensure_node_modules
    pg_up
    maria_up
    kafka_up
    ;;
  down)
    # PostgreSQL and MariaDB are the machine's own services: they stay up.
    kafka_down
    ;;
  status)
    kafka_status
    pg_status
    maria_status
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
