#!/usr/bin/env bash
# Runs one test suite (unit | integration) with Node's test runner.
# Node 20's runner takes no glob patterns, so the files are listed here.
set -euo pipefail
suite="${1:?usage: test/run-suite.sh unit|integration [more node --test flags]}"
shift
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(find "test/$suite" -name '*.test.ts' | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "no $suite tests in test/$suite" >&2
  exit 1
fi
# Integration tests share one broker and two databases on a 2-core machine: a
# bounded number of files at a time keeps timeouts honest.
concurrency=$([ "$suite" = integration ] && echo "${SIPHON_TEST_CONCURRENCY:-2}" || nproc)
# --test-force-exit: a file whose tests and hooks are done exits even if a client library
# left a socket open (a kafkajs connection once kept a finished file, and CI, waiting).
exec node --import tsx --test --test-force-exit --test-concurrency="$concurrency" --test-reporter=spec "$@" "${files[@]}"
