#!/usr/bin/env bash
# Critique KV reuse (issue 05): how many prompt tokens the critique pass evaluates, against the
# tokens that are new to it (its message and the template's markers around it). Side by side in
# one run, on the same archive, model and settings (scripts/demo.toml):
#   knowthy       the embedded engine, the critique continuing the draft's KV sequence
#   llama-server  the same model behind llama-server (openai backend), which re-tokenizes the
#                 conversation and reuses its cache by token prefix
#   no reuse      the whole critique prompt (what a server without a prompt cache evaluates)
# for several random sample models (another seed is another model) and 1 and 2 threads.
#
# Usage: bench/reuse_bench.sh [seeds] [tweets]   (default: 4 seeds, 250 tweets = 10 batches)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
knowthy=$root/build/knowthy
server=${KNOWTHY_LLAMA_SERVER:-$HOME/.cache/knowthy/llama.cpp-nlc3.22.1/build/bin/llama-server}
seeds=${1:-4}
tweets=${2:-250}
dir=${KNOWTHY_BENCH_DIR:-/tmp/knowthy-bench}/reuse
for f in "$knowthy" "$server"; do
  [ -x "$f" ] || { echo "reuse_bench: $f is missing: run scripts/build.sh" >&2; exit 1; }
done
rm -rf "$dir" && mkdir -p "$dir"
"$knowthy" sample-archive "$dir/a.zip" --tweets "$tweets" >/dev/null

# run NAME EXTRA_MODEL_CONFIG: a fresh workspace read to the end; prints its folder
run() {
  local ws=$dir/$1
  "$knowthy" --workspace "$ws" init >/dev/null
  { cat "$root/scripts/demo.toml"; printf '%s\n' "$2"; } >"$ws/knowthy.toml"
  "$knowthy" --workspace "$ws" ingest "$dir/a.zip" >/dev/null
  "$knowthy" --workspace "$ws" run --no-progress >/dev/null
  echo "$ws"
}

echo "| model seed | threads | batches | new tokens | knowthy evaluated | ratio | llama-server evaluated | ratio | no reuse | ratio |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for seed in $(seq 1 "$seeds"); do
  "$knowthy" sample-model "$dir/m$seed.gguf" --seed "$seed" >/dev/null
  for threads in 1 2; do
    emb=$(run "emb-$seed-$threads" "path = \"$dir/m$seed.gguf\"
threads = $threads")
    port=$((20000 + RANDOM % 20000))
    "$server" -m "$dir/m$seed.gguf" --host 127.0.0.1 --port "$port" -c 16384 -np 2 -t "$threads" \
      >"$dir/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
      python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null && break
      sleep 0.2
    done
    srv=$(run "srv-$seed-$threads" "backend = \"openai\"
endpoint = \"http://127.0.0.1:$port\"")
    kill "$pid" && wait "$pid" 2>/dev/null || true
    python3 - "$emb" "$srv" "$seed" "$threads" <<'PY'
import json, pathlib, sys
def sums(ws):
    new = ev = whole = n = 0
    for b in sorted(pathlib.Path(ws, "runs").glob("batch_*/batch.json")):
        j = json.loads(b.read_text())
        if j["status"] != "done":
            continue
        d, c = j["tokens"]["draft"], j["tokens"]["critique"]
        new += c["prompt"] - d["prompt"] - d["completion"]
        ev += c["prompt_evaluated"]
        whole += c["prompt"]
        n += 1
    return n, new, ev, whole
n, new, ev, whole = sums(sys.argv[1])
_, snew, sev, swhole = sums(sys.argv[2])
print(f"| {sys.argv[3]} | {sys.argv[4]} | {n} | {new} | {ev} | {ev/new:.2f}x | {sev} | {sev/snew:.2f}x | {whole} | {whole/new:.1f}x |")
PY
  done
done
