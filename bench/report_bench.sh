#!/usr/bin/env bash
# Issue 09's figures: `knowthy report` on a large workspace (1M tweets, 5,000 batches, 2,000 ticks
# and dataset builds, a 10,000-claim profile in two versions) must be written in under 3 s and
# stay under 5 MB. The workspace is made by knowthy init, then filled directly with SQLite and JSON
# (bench/make_large_workspace.py: seeded, synthetic, no person's data). Baseline, side by side on
# the same workspace: `knowthy status --json`, which opens the database and counts.
# Usage: bench/report_bench.sh   (about 20 s on 2 cores, half of it making the workspace)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release >/dev/null
k="$PWD/build/knowthy"
work="${TMPDIR:-/tmp}/knowthy-report-bench"
runs="${RUNS:-5}"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
if [ ! -f "$work/ws/knowthy.db" ] || [ "${REBUILD:-0}" = 1 ]; then
  rm -rf "$work"
  mkdir -p "$work"
  $k --workspace "$work/ws" init >/dev/null
  python3 bench/make_large_workspace.py "$work/ws"
fi
python3 - "$k" "$work/ws" "$runs" <<'PY'
import json, os, statistics, subprocess, sys, time
k, ws, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = {"report": [], "status": []}
size = 0
for i in range(runs):
    for cmd in ("report", "status"):
        args = [k, "--workspace", ws, cmd, "--json"]
        if cmd == "report":
            args += ["--out", os.path.join(ws, "..", "report.html")]
        t0 = time.perf_counter()
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        times[cmd].append(time.perf_counter() - t0)
        if cmd == "report":
            size = json.loads(out)["bytes"]
for cmd, t in times.items():
    print(f"{cmd:>7}: median {statistics.median(t):6.2f} s, max {max(t):6.2f} s ({runs} runs)")
print(f"  ratio: report / status {statistics.median(times['report']) / statistics.median(times['status']):.2f}")
print(f" report: {size / 1e6:.2f} MB ({size} bytes); targets: under 3 s, under 5 MB")
PY
