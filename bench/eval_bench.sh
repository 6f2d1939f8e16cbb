#!/usr/bin/env bash
# Issue 07's figure: the evaluation's scoring throughput in tokens/s, side by side with llama.cpp's
# llama-perplexity on the same text, same model and threads, on the sample model (4M parameters)
# and a ~100M-parameter random model.
# - knowthy: `knowthy eval` on a candidate that is a copy of the model (a command trainer that
#   copies it), so both of its passes score the same model; the figure is the active model's pass
#   as the scoring child logs it: the items' tokens (every prompt counted whole, as the text file
#   below holds it) over the seconds of decoding and log-softmax, loading excluded. (A pair's two
#   answers share their prompt's cache, so fewer tokens are decoded than scored.)
# - llama-perplexity: the same items' text (prompts and answers, one after the other) with its
#   defaults (context 512, batch 2048: four sequences per decode); its figure is chunks x 512
#   tokens over the time between its "calculating perplexity" and "Final estimate" log lines
#   (decoding and its log-softmax, loading excluded).
# Usage: bench/eval_bench.sh   (about 5 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release >/dev/null
root=$(bash scripts/llama.sh)
ppl="$root/build/bin/llama-perplexity"
if [ ! -x "$ppl" ]; then # a tool, not among the targets knowthy links: built here, once
  cmake --build "$root/build" --target llama-perplexity >/dev/null
fi
k="$PWD/build/knowthy"
work="${TMPDIR:-/tmp}/knowthy-eval-bench"
rm -rf "$work"
mkdir -p "$work"
threads="${THREADS:-$(nproc)}"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $threads threads"

# The data: the sample archive read by the sample model (the demo's settings), once.
d="$work/data"
mkdir -p "$d"
$k sample-model "$d/small.gguf" >/dev/null
$k sample-archive "$d/a.zip" --tweets 500 >/dev/null
$k --workspace "$d/ws" init >/dev/null
{ sed '/^\[train\]/,/^$/d' scripts/demo.toml; echo "path = \"$d/small.gguf\""; echo "threads = $threads"; } >"$d/ws/knowthy.toml"
$k --workspace "$d/ws" ingest "$d/a.zip" >/dev/null
$k --workspace "$d/ws" run >/dev/null 2>&1

run() { # name [sample-model options]
  local name=$1
  shift
  local m="$work/$name.gguf" ws="$work/$name-ws"
  $k sample-model "$m" "$@" >/dev/null
  cp -r "$d/ws" "$ws"
  { sed '/^\[train\]/,/^$/d; /^\[eval\]/,/^$/d; /^\[model\]/,$d' scripts/demo.toml
    printf '[train]\ntrainer = "command"\ncommand = ["cp", "%s", "{output_dir}/model.gguf"]\n' "$m"
    printf '[eval]\nmin_heldout_pairs = 1\nthreads = %s\n' "$threads"
    printf '[model]\ncontext = 8192\npath = "%s"\nthreads = %s\n' "$m" "$threads"; } >"$ws/knowthy.toml"
  $k --workspace "$ws" train --force >/dev/null
  $k --workspace "$ws" eval >/dev/null
  local ours
  ours=$(sed -n 's/^active: \([0-9]*\) tokens of text ([0-9]* decoded) in \([0-9.]*\) s.*/\1 \2/p' "$ws/models/cand_0001/eval.log")
  python3 -c "
import json
with open('$ws/models/cand_0001/eval/items.jsonl') as f, open('$work/$name.txt', 'w') as out:
    for line in f:
        j = json.loads(line)
        for m in (j['prompt'] or []): out.write(m['content'] + '\n')
        out.write(j['completion'] + '\n\n')
"
  "$ppl" -m "$m" -f "$work/$name.txt" -t "$threads" -ngl 0 >"$work/$name-ppl.log" 2>&1 || true
  local theirs
  theirs=$(python3 - "$work/$name-ppl.log" <<'PY'
import re, sys
def secs(stamp):  # llama.cpp's log time: M.SS.mmm.uuu
    m, s, ms, us = (int(x) for x in stamp.split("."))
    return m * 60 + s + ms / 1e3 + us / 1e6
start = end = chunks = ctx = None
for line in open(sys.argv[1], errors="replace"):
    if "calculating perplexity over" in line:
        start = secs(line.split()[0])
        chunks, ctx = re.search(r"over (\d+) chunks, n_ctx=(\d+)", line).groups()
    elif "Final estimate" in line:
        end = secs(line.split()[0])
print(int(chunks) * int(ctx), (end - start) * 1000)
PY
)
  python3 - "$name" "$ours" "$theirs" <<'PY'
import sys
name = sys.argv[1]
t_ours, s_ours = sys.argv[2].split()
t_theirs, ms_theirs = sys.argv[3].split()
ours = int(t_ours) / float(s_ours)
theirs = int(t_theirs) / (float(ms_theirs) / 1000)
print(f"{name:>8}: knowthy eval {ours:8.0f} tokens/s ({t_ours} tokens) | llama-perplexity {theirs:8.0f} tokens/s "
      f"({t_theirs} tokens) | ratio {ours / theirs:.2f}")
PY
}

run sample
run 100M --embd 768 --layers 8 --heads 12 --ff 3072
