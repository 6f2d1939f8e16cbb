#!/usr/bin/env bash
# Builds knowthy and runs the whole test suite (unit and end-to-end through the binary).
# Usage: scripts/test.sh          the release build
#        scripts/test.sh asan     the same suite under AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
bash scripts/build.sh "$preset"
ctest --preset "$preset"
