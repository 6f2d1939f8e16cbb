#!/usr/bin/env bash
# Issue 10's figures: LoRA training over a quantized model, tokens/s and peak RSS, beside
# llama.cpp's own llama-finetune on the same file, context, batch, ubatch, threads and optimizer.
# The model: random weights in the geometry of Qwen2.5-0.5B (24 blocks, width 896, 14 heads with
# 2 key/value heads, feed-forward 4864; the sample vocabulary of 32,000 tokens), written in F32 by
# `knowthy sample-model` and quantized to Q4_K_M (and Q8_0) by llama.cpp's llama-quantize.
# - knowthy: `train-child` with LoRA rank 16 on attention and feed-forward weights, objective sft
#   (one weighted step per row) and dpo (each pair scored, then one step), on planted rows of
#   `context` tokens; metrics.json tokens_per_second counts every token of a training row (DPO:
#   the scoring passes too) and peak_rss_bytes.
# - llama-finetune: what it can run on a quantized file: it trains the F32 tensors it finds (the
#   norms; the quantized weights stay frozen, but the backward pass still runs through every
#   block), one epoch timed by its own progress line; its RSS from /usr/bin/time. It needs
#   --no-repack on a Q4_K_M file: repacked weights have no backward pass and it aborts
#   (GGML_ASSERT(*cur_backend_id != -1)); knowthy never repacks for training.
# Usage: bench/lora_bench.sh   (about 6 minutes on 2 cores; ROWS=2 pairs, Q8_OBJECTIVES="sft")
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release >/dev/null
root=$(bash scripts/llama.sh)
ft="$root/build/bin/llama-finetune"
quant="$root/build/bin/llama-quantize"
k="$PWD/build/knowthy"
work="${TMPDIR:-/tmp}/knowthy-lora-bench"
rm -rf "$work"
mkdir -p "$work"
threads="${THREADS:-$(nproc)}"
ctx=256
rows="${ROWS:-2}"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $threads threads; context $ctx, batch $ctx, ubatch $ctx, adamw"

$k sample-model "$work/f32.gguf" --embd 896 --layers 24 --heads 14 --heads-kv 2 --ff 4864 >/dev/null
for q in Q4_K_M Q8_0; do "$quant" "$work/f32.gguf" "$work/$q.gguf" "$q" >/dev/null 2>&1; done
rm -f "$work/f32.gguf"
# Planted data: `rows` pairs whose prompts fill a row (a long user turn), as a batch's prompt does.
python3 - "$work" "$rows" <<'PY'
import json, sys
work, rows = sys.argv[1], int(sys.argv[2])
with open(f"{work}/dpo.train.jsonl", "w") as f, open(f"{work}/text.txt", "w") as t:
    for i in range(rows):
        prompt = " ".join(f"tweet {i}-{j} about the weather and the city" for j in range(40))
        a, b = ("alpha beta", "omega psi") if i % 2 == 0 else ("omega psi", "alpha beta")
        f.write(json.dumps({"prompt": [{"role": "user", "content": prompt}],
                            "chosen": [{"role": "assistant", "content": a}],
                            "rejected": [{"role": "assistant", "content": b}]}) + "\n")
        t.write(prompt + " " + a + "\n")
PY

for q in Q4_K_M Q8_0; do
  objectives="sft dpo"
  [ "$q" = Q8_0 ] && objectives="${Q8_OBJECTIVES:-sft}"  # DPO costs twice SFT; its ratio shows on Q4_K_M
  for objective in $objectives; do
    d="$work/$q-$objective"
    mkdir -p "$d/output"
    python3 - "$d" "$work/$q.gguf" "$work/dpo.train.jsonl" "$objective" "$threads" "$ctx" <<'PY'
import json, sys
d, model, data, objective, threads, ctx = sys.argv[1:7]
json.dump({"id": 1, "name": "cand_0001", "base_model": {"path": model}, "output_dir": d + "/output",
           "trainer": {"kind": "llama-opt", "settings": {
               "epochs": 1, "learning_rate": 1e-4, "context": int(ctx), "batch": int(ctx), "ubatch": int(ctx),
               "threads": int(threads), "gpu_layers": 0, "method": "lora", "lora_rank": 16,
               "objective": objective}},
           "datasets": {"dpo_train": {"path": data, "records": 0}}}, open(d + "/manifest.json", "w"))
PY
    $k train-child "$d" >"$d/train.log" 2>&1
    python3 - "$q" "$objective" "$d/metrics.json" <<'PY'
import json, sys
q, objective, path = sys.argv[1:4]
m = json.load(open(path))
print(f"{q:>7} {objective}: knowthy LoRA {m['tokens_per_second']:6.1f} tokens/s, peak RSS {m['peak_rss_bytes']/2**20:6.0f} MiB "
      f"(estimate {m['memory_estimate_bytes']/2**20:.0f} MiB)")
PY
  done
  # llama-finetune on the same file, one epoch: its own progress line's elapsed time (t=, from the
  # epoch's start, so loading is not counted) over the sequences it trained.
  /usr/bin/time -v "$ft" -m "$work/$q.gguf" -f "$work/text.txt" -c $ctx -b $ctx -ub $ctx -t "$threads" --epochs 1 \
    -val-split 0 --no-repack -o "$work/ft.gguf" >"$work/ft-$q.log" 2>&1 || { echo "$q llama-finetune: failed (tail of its log below)"; tail -3 "$work/ft-$q.log"; continue; }
  python3 - "$q" "$work/ft-$q.log" "$ctx" <<'PY'
import re, sys
q, log, ctx = sys.argv[1], open(sys.argv[2], errors="replace").read(), int(sys.argv[3])
data = re.findall(r"data=0*(\d+)/0*(\d+) .*? t=(\d+):(\d+):(\d+)", log)
n, _, h, m, s = data[-1]
secs = int(h) * 3600 + int(m) * 60 + int(s)
kib = int(re.search(r"Maximum resident set size \(kbytes\): *(\d+)", log).group(1))
print(f"{q:>7} llama-finetune (norms only): {int(n) * ctx / secs:6.1f} tokens/s ({n} sequences in {secs} s), peak RSS {kib/1024:6.0f} MiB")
PY
done
