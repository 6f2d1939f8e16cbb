#!/usr/bin/env bash
# Consolidation benchmark (issue 04): 10k, 100k and 1M generated claims.
#   memory  consolidate() + rendering profile.json/md, in memory
#   db      `knowthy consolidate`'s work on a workspace database holding the claims (filled once
#           per size, then measured in a fresh process so its peak RSS is its own)
#   naive   the all-pairs baseline beside the LSH, same claims (10k and 100k only)
# Usage: bench/consolidate_bench.sh        Environment: KNOWTHY_BENCH_DIR (default /tmp/knowthy-bench)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench=$root/build/bench/consolidate_bench
[ -x "$bench" ] || { echo "consolidate_bench: $bench is missing: run scripts/build.sh" >&2; exit 1; }
dir=${KNOWTHY_BENCH_DIR:-/tmp/knowthy-bench}/consolidate
mkdir -p "$dir"
for n in 10000 100000 1000000; do
  "$bench" memory "$n"
  "$bench" db "$n" "$dir/ws-$n" >/dev/null  # fills the database (or finds it filled)
  "$bench" db "$n" "$dir/ws-$n"
done
for n in 10000 100000; do "$bench" naive "$n"; done
