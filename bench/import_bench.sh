#!/usr/bin/env bash
# Import benchmark: `knowthy ingest` against a straightforward Python importer
# (bench/python_baseline_import.py: zipfile + json + sqlite3, what twitter-to-sqlite does) on
# synthetic archives from `knowthy sample-archive`.
#
# Usage: bench/import_bench.sh [TWEETS...]          (default: 100000 1000000)
#
# Environment:
#   KNOWTHY            the binary (default: build/knowthy next to this folder)
#   KNOWTHY_BENCH_DIR  where archives are cached and runs happen (default: /tmp/knowthy-bench);
#                      must not be inside a git work tree
#   REPEAT             runs per tool and size; the table shows the median (default: 3)
#   SEED               sample-archive seed (default: 7)
#   PYTHON             the Python interpreter (default: python3)
#   PYTHON_MAX_TWEETS  skip the Python baseline for sizes above this (default: no limit)
#   KNOWTHY_BENCH_RUN_DIR  under it, import-bench-run/ holds the workspaces / databases (default:
#                      $KNOWTHY_BENCH_DIR); e.g. /dev/shm to take the disk out of the picture
#
# Each run imports into a fresh workspace / database and is timed with GNU time
# (`/usr/bin/time -f '%e %M'`: wall seconds, peak RSS). MB/s counts the uncompressed bytes of
# the tweets files (data/tweets*.js); MB = 10^6 bytes, RSS in MiB. The archive is read from the
# page cache (it is read once before the runs); the databases are written to disk (WAL, fsync at
# commit) unless KNOWTHY_BENCH_RUN_DIR is on a tmpfs.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
knowthy=${KNOWTHY:-$root/build/knowthy}
bench_dir=${KNOWTHY_BENCH_DIR:-/tmp/knowthy-bench}
repeat=${REPEAT:-3}
seed=${SEED:-7}
python=${PYTHON:-python3}
python_max=${PYTHON_MAX_TWEETS:-}
baseline=$here/python_baseline_import.py

if [[ $# -gt 0 ]]; then sizes=("$@"); else sizes=(100000 1000000); fi
for n in "${sizes[@]}"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "import_bench: size '$n' is not a number of tweets" >&2; exit 2; }
done
[[ $repeat =~ ^[1-9][0-9]*$ ]] || { echo "import_bench: REPEAT must be a positive integer" >&2; exit 2; }
[[ -x $knowthy ]] || { echo "import_bench: no knowthy binary at $knowthy (build it, or set KNOWTHY)" >&2; exit 2; }

# GNU time (the bash keyword cannot report peak RSS).
if ! /usr/bin/time -f '%e' true >/dev/null 2>&1; then
  echo "import_bench: installing GNU time" >&2
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get install -y time >/dev/null || { $sudo apt-get update >/dev/null && $sudo apt-get install -y time >/dev/null; }
fi

mkdir -p "$bench_dir"
# Time a copy, so that a rebuild of build/knowthy during the runs cannot mix two binaries.
snap=$bench_dir/knowthy-under-test
cp "$knowthy" "$snap.tmp" && mv "$snap.tmp" "$snap"
knowthy_desc="$(git -C "$root" describe --always --dirty 2>/dev/null || echo '?'), binary built $(date -r "$knowthy" '+%F %T'), sha256 $(sha256sum "$snap" | cut -c1-12)"
knowthy=$snap
run_dir=${KNOWTHY_BENCH_RUN_DIR:-$bench_dir}/import-bench-run  # wiped before each run
results=$bench_dir/results-$(date +%Y%m%d-%H%M%S).tsv
printf 'tweets\ttool\trun\tseconds\trss_kb\ttweet_bytes\tcount\n' >"$results"

# Runs "$@" under GNU time; sets t_sec and t_rss_kb. stdout goes to $out_file.
timed() {
  local tf=$run_dir/time.txt
  if ! /usr/bin/time -f '%e %M' -o "$tf" "$@" >"$out_file" 2>"$run_dir/stderr.txt"; then
    echo "import_bench: failed: $*" >&2
    cat "$run_dir/stderr.txt" >&2
    exit 1
  fi
  read -r t_sec t_rss_kb < <(tail -n1 "$tf")
}

json_get() {  # json_get FILE PY_EXPR   (j is the parsed document)
  "$python" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

for n in "${sizes[@]}"; do
  zip=$bench_dir/archive-$n-s$seed.zip
  if [[ ! -s $zip ]]; then
    echo "== generating $zip" >&2
    "$knowthy" sample-archive "$zip.tmp.zip" --tweets "$n" --seed "$seed" --truth "$zip.truth.json" >&2
    mv "$zip.tmp.zip" "$zip"
  fi
  tweet_bytes=$("$python" - "$zip" <<'EOF'
import re, sys, zipfile
pat = re.compile(r"(?:[^/]+/)?data/tweets?(-part\d+)?\.js")
print(sum(i.file_size for i in zipfile.ZipFile(sys.argv[1]).infolist() if pat.fullmatch(i.filename)))
EOF
)
  cat "$zip" >/dev/null  # into the page cache, the same for every run

  run_python=1
  if [[ -n $python_max && $n -gt $python_max ]]; then run_python=0; fi

  for ((r = 1; r <= repeat; r++)); do
    rm -rf "$run_dir"; mkdir -p "$run_dir"
    out_file=$run_dir/knowthy.json
    echo "== $n tweets: knowthy run $r/$repeat" >&2
    timed "$knowthy" --workspace "$run_dir/ws" ingest "$zip" --json
    "$knowthy" --workspace "$run_dir/ws" status --json >"$run_dir/status.json"
    k_count=$(json_get "$run_dir/status.json" 'j["tweets"]["total"]')
    echo "   ${t_sec}s, $((t_rss_kb / 1024)) MiB, $k_count tweets" >&2
    printf '%s\tknowthy\t%s\t%s\t%s\t%s\t%s\n' "$n" "$r" "$t_sec" "$t_rss_kb" "$tweet_bytes" "$k_count" >>"$results"
    rm -rf "$run_dir/ws"

    if [[ $run_python -eq 1 ]]; then
      out_file=$run_dir/python.json
      echo "== $n tweets: python run $r/$repeat" >&2
      timed "$python" "$baseline" "$zip" "$run_dir/baseline.db" --json
      p_count=$(json_get "$out_file" 'j["tweets_total"]')
      echo "   ${t_sec}s, $((t_rss_kb / 1024)) MiB, $p_count tweets" >&2
      printf '%s\tpython\t%s\t%s\t%s\t%s\t%s\n' "$n" "$r" "$t_sec" "$t_rss_kb" "$tweet_bytes" "$p_count" >>"$results"
      if [[ $p_count != "$k_count" ]]; then
        echo "import_bench: tweet counts differ at $n: knowthy $k_count, python $p_count" >&2
        exit 1
      fi
      rm -f "$run_dir"/baseline.db*
    fi
  done
done
rm -rf "$run_dir"

"$python" - "$results" "$knowthy" "$knowthy_desc" <<'EOF'
import csv, platform, sqlite3, statistics, subprocess, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
by = {}
for r in rows:
    by.setdefault((int(r["tweets"]), r["tool"]), []).append(r)
try:
    cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
except Exception:
    cpu = platform.processor()
import os
ver = (subprocess.run([sys.argv[2], "--version"], capture_output=True, text=True).stdout.strip().splitlines() or ["?"])[0]
runs = max(len(v) for v in by.values())
print(f"{ver} ({sys.argv[3]}) | Python {platform.python_version()} (SQLite {sqlite3.sqlite_version}) | "
      f"{cpu}, {os.cpu_count()} cores | median of {runs} run(s)\n")
print("| tweets | tool | seconds | tweets/s | MB/s | peak RSS (MiB) | throughput vs python |")
print("|---:|---|---:|---:|---:|---:|---:|")
for n in sorted({k[0] for k in by}):
    tput = {}
    for tool in ("knowthy", "python"):
        rs = by.get((n, tool))
        if rs:
            tput[tool] = n / statistics.median(float(r["seconds"]) for r in rs)
    for tool in ("knowthy", "python"):
        rs = by.get((n, tool))
        if not rs:
            print(f"| {n:,} | {tool} | skipped | | | | |")
            continue
        sec = statistics.median(float(r["seconds"]) for r in rs)
        rss = statistics.median(int(r["rss_kb"]) for r in rs) / 1024
        mbs = int(rs[0]["tweet_bytes"]) / 1e6 / sec
        ratio = f"{tput[tool] / tput['python']:.1f}x" if "python" in tput else "n/a"
        print(f"| {n:,} | {tool} | {sec:.2f} | {n / sec:,.0f} | {mbs:.1f} | {rss:.0f} | {ratio} |")
sizes = sorted({(k[0], int(v[0]["tweet_bytes"])) for k, v in by.items()})
print("\ntweets files (uncompressed): " + ", ".join(f"{n:,} tweets = {b / 1e6:.1f} MB" for n, b in sizes))
print(f"raw runs: {sys.argv[1]}")
EOF
