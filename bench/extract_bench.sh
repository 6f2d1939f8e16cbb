#!/usr/bin/env bash
# Extraction benchmark (issue 03): build/bench/extract_bench on workspaces made here.
#
# Usage: bench/extract_bench.sh [overhead] [model]     (default: both)
#   overhead  a 100,000-tweet sample archive, every batch through the pipeline with a backend
#             that answers instantly; beside it, the bare durable-write floor per batch
#   model     BATCHES (default 4) batches of 50 tweets end to end with the sample model on the
#             embedded engine, then the same model calls replayed on a fresh engine alone
#
# Environment: THREADS (default: nproc), BATCHES (default: 4), KNOWTHY_BENCH_DIR (default:
# /tmp/knowthy-bench; put it on the disk you want measured: fsync cost is the disk's).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
knowthy=$root/build/knowthy
bench=$root/build/bench/extract_bench
threads=${THREADS:-$(nproc)}
batches=${BATCHES:-4}
dir=${KNOWTHY_BENCH_DIR:-/tmp/knowthy-bench}/extract
for f in "$knowthy" "$bench"; do
  [ -x "$f" ] || { echo "extract_bench: $f is missing: run scripts/build.sh" >&2; exit 1; }
done
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(overhead model)
mkdir -p "$dir"

workspace() {  # workspace NAME TWEETS: a fresh workspace with a sample archive of TWEETS imported
  local ws=$dir/$1
  rm -rf "$ws"
  [ -f "$dir/archive-$2.zip" ] || "$knowthy" sample-archive "$dir/archive-$2.zip" --tweets "$2" >/dev/null
  "$knowthy" --workspace "$ws" init >/dev/null
  "$knowthy" --workspace "$ws" ingest "$dir/archive-$2.zip" >/dev/null
  echo "$ws"
}

for m in "${modes[@]}"; do
  case $m in
    overhead)
      ws=$(workspace overhead 100000)
      "$bench" overhead "$ws"
      ;;
    model)
      ws=$(workspace model 2000)
      "$knowthy" sample-model "$dir/model.gguf" >/dev/null
      "$bench" model "$ws" "$dir/model.gguf" "$batches" "$threads"
      ;;
    *) echo "extract_bench: unknown mode '$m' (overhead or model)" >&2; exit 2 ;;
  esac
done
