#!/usr/bin/env bash
# Installs what is missing (Debian packages, the cached llama.cpp build) and builds knowthy.
# Usage: scripts/build.sh [preset]   (presets: release (default), asan; see CMakePresets.json)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
bash scripts/deps.sh
llama_root=$(bash scripts/llama.sh)
cmake --preset "$preset" -DKNOWTHY_LLAMA_ROOT="$llama_root" >/dev/null
cmake --build --preset "$preset"
