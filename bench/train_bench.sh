#!/usr/bin/env bash
# Issue 06's figure: the built-in trainer's (llama-opt) training tokens/s, side by side with
# llama.cpp's own llama-finetune on the same model, context, batch, ubatch, threads and optimizer
# (AdamW), on the sample model (4M parameters) and a ~99M-parameter random model.
# - knowthy: metrics.json tokens_per_second, the training epoch alone (timed inside the child).
# - llama-finetune: the marginal cost of one epoch (runs with --epochs 1 and 2, no validation
#   split), on a text file holding the candidate's frozen datasets (about as many tokens).
# The data comes from the sample archive read by the sample model; the bigger model only trains.
# Usage: bench/train_bench.sh   (about 10 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release >/dev/null
root=$(bash scripts/llama.sh)
ft="$root/build/bin/llama-finetune"
if [ ! -x "$ft" ]; then # an example, not among the targets knowthy links: built here, once
  cmake -S "$root/src" -B "$root/build" -DLLAMA_BUILD_EXAMPLES=ON >/dev/null
  cmake --build "$root/build" --target llama-finetune >/dev/null
fi
k="$PWD/build/knowthy"
work="${TMPDIR:-/tmp}/knowthy-train-bench"
rm -rf "$work"
mkdir -p "$work"
threads="${THREADS:-$(nproc)}"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $threads threads; context 256, batch 256, ubatch 256, adamw"

secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }

run() { # name tweets [sample-model options for the trained model]
  local name=$1 tweets=$2
  shift 2
  local d="$work/$name"
  mkdir -p "$d"
  $k sample-model "$d/small.gguf" >/dev/null
  $k sample-model "$d/model.gguf" "$@" >/dev/null
  $k sample-archive "$d/a.zip" --tweets "$tweets" >/dev/null
  $k --workspace "$d/ws" init >/dev/null
  { sed '/^\[train\]/,/^$/d' scripts/demo.toml; echo "path = \"$d/small.gguf\""; echo "threads = $threads"; } >"$d/ws/knowthy.toml"
  $k --workspace "$d/ws" ingest "$d/a.zip" >/dev/null
  $k --workspace "$d/ws" run >/dev/null 2>&1
  { sed '/^\[train\]/,/^$/d; /^\[model\]/,$d' scripts/demo.toml
    printf '[train]\ntrainer = "llama-opt"\nepochs = 1\ncontext = 256\nbatch = 256\nubatch = 256\nlearning_rate = 0.001\nthreads = %s\n' "$threads"
    printf '[model]\ncontext = 8192\npath = "%s"\nthreads = %s\n' "$d/model.gguf" "$threads"; } >"$d/ws/knowthy.toml"
  $k --workspace "$d/ws" train --force --json >"$d/train.json"
  local ours tokens
  ours=$(python3 -c "import json;m=json.load(open('$d/train.json'))['metrics'];print('%.0f %d'%(m['tokens_per_second'],m['train_tokens_per_epoch']))")
  tokens=${ours#* }
  ours=${ours% *}
  cat "$d/ws/models/cand_0001/data/dpo.train.jsonl" "$d/ws/models/cand_0001/data/sft.train.jsonl" >"$d/text.txt"
  local t1 t2 ndata
  t1=$(secs "$ft" -m "$d/model.gguf" -f "$d/text.txt" -c 256 -b 256 -ub 256 -t "$threads" --epochs 1 -val-split 0 -o "$d/ft.gguf")
  local s e
  s=$(date +%s.%N)
  "$ft" -m "$d/model.gguf" -f "$d/text.txt" -c 256 -b 256 -ub 256 -t "$threads" --epochs 2 -val-split 0 -o "$d/ft.gguf" >"$d/ft.log" 2>&1
  e=$(date +%s.%N)
  t2=$(echo "$e - $s" | bc)
  ndata=$(grep -o 'data=[0-9]*/[0-9]*' "$d/ft.log" | tail -1 | sed 's|.*/||; s/^0*//')
  python3 - "$name" "$ours" "$tokens" "$t1" "$t2" "$ndata" <<'PY'
import sys
name, ours, tokens, t1, t2, ndata = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
theirs = ndata * 256 / (t2 - t1)
print(f"{name:>8}: knowthy llama-opt {ours:7.0f} tokens/s ({tokens} tokens/epoch) | llama-finetune {theirs:7.0f} tokens/s "
      f"({ndata * 256} tokens/epoch) | ratio {ours / theirs:.2f}")
PY
}

run sample 500
# ~100M parameters, wide and shallow: llama.cpp's scheduler sizes its graph for inference, and the
# training graph of deeper models does not fit it in this version (llama-finetune aborts on them too).
run 100M 60 --embd 1024 --layers 2 --heads 16 --ff 4096
