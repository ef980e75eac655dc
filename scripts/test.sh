#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need
# (Debian packages and npm dependencies), checks types and lint, runs every
# test against real services, and ends with one "tests: N passed, N failed" line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-test-deps.sh
export GOTOOLCHAIN=local
# The test cluster's Kubernetes binaries: built once per machine (long the first time).
bash scripts/cluster/build.sh

echo "== typecheck"
npx tsc -p tsconfig.test.json
echo "== lint"
npm run --silent lint

echo "== tests"
mkdir -p .kodev-test
rm -f .kodev-test/vitest.json
status=0
npx vitest run "$@" || status=$?

if [[ -f .kodev-test/vitest.json ]]; then
  node -e '
    const r = require("./.kodev-test/vitest.json");
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  '
else
  echo "tests: 0 passed, 1 failed (vitest wrote no report)"
  status=1
fi
exit "$status"
