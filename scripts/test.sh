#!/usr/bin/env bash
# Builds knowthy and runs the whole test suite (unit and end-to-end through the binary).
# Usage: scripts/test.sh          the release build
#        scripts/test.sh asan     the same suite under AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
bash scripts/build.sh "$preset"
# The report's browser test drives Debian's chromium through playwright-core (pinned, lockfile).
if [ ! -d tests/browser/node_modules/playwright-core ] || [ tests/browser/package-lock.json -nt tests/browser/node_modules ]; then
  npm ci --prefix tests/browser --no-audit --no-fund >/dev/null
fi
ctest --preset "$preset"
