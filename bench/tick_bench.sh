#!/usr/bin/env bash
# Issue 08's figure: a tick with nothing to do (every tweet read, no candidate to train, evaluate
# or promote, this week's report written) against a bare `knowthy status` on the same workspace,
# alternated, RUNS times each (default 50). Target: the idle tick under 50 ms, most of it process
# start and opening the database.
# Usage: bench/tick_bench.sh   (about a minute on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release >/dev/null
k="$PWD/build/knowthy"
work="${TMPDIR:-/tmp}/knowthy-tick-bench"
runs="${RUNS:-50}"
rm -rf "$work"
mkdir -p "$work"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
$k sample-model "$work/model.gguf" >/dev/null
$k sample-archive "$work/a.zip" --tweets 500 >/dev/null
$k --workspace "$work/ws" init >/dev/null
{ sed '/^\[train\]/,/^$/d' scripts/demo.toml; echo "path = \"$work/model.gguf\""; } >"$work/ws/knowthy.toml"
$k --workspace "$work/ws" ingest "$work/a.zip" >/dev/null
$k --workspace "$work/ws" run >/dev/null 2>&1
$k --workspace "$work/ws" tick >/dev/null # the first tick still consolidates and writes the report
$k --workspace "$work/ws" tick >"$work/idle.txt"
cat "$work/idle.txt"
python3 - "$k" "$work/ws" "$runs" <<'PY'
import statistics, subprocess, sys, time
k, ws, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = {"tick": [], "status": []}
for _ in range(runs):
    for cmd in ("tick", "status"):
        t = time.perf_counter()
        subprocess.run([k, "--workspace", ws, cmd], check=True, stdout=subprocess.DEVNULL)
        times[cmd].append((time.perf_counter() - t) * 1000)
for cmd, ts in times.items():
    print(f"{cmd:>6}: median {statistics.median(ts):6.1f} ms, p90 {sorted(ts)[int(0.9 * len(ts))]:6.1f} ms ({runs} runs)")
print(f" ratio: tick / status {statistics.median(times['tick']) / statistics.median(times['status']):.2f}")
PY
