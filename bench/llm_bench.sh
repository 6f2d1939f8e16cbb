#!/usr/bin/env bash
# Engine benchmark (issue 02): the embedded backend (build/bench/llm_bench) beside llama.cpp's own
# llama-bench and llama-batched-bench, same model, same threads, same batch sizes, in one run.
#
# Usage: bench/llm_bench.sh [tiny] [100m]     (default: both)
#   tiny  the sample model (`knowthy sample-model`, 4.2M parameters)
#   100m  a random model of about 100M parameters (--embd 576 --layers 12 --heads 9 --ff 2304)
#
# Environment: THREADS (default: nproc), REPEAT (default: 3), KNOWTHY_BENCH_DIR (default:
# /tmp/knowthy-bench), KNOWTHY_LLAMA_ROOT (default: ~/.cache/knowthy/llama.cpp-nlc3.22.1).
#
# Measures, per model:
#   pp / tg   tokens/s of prompt processing (512 tokens) and generation (128 tokens after them), one sequence:
#             knowthy (greedy sampling, chat template) vs llama-bench (decode only)
#   parallel  generated tokens/s with 1, 2, 4 sequences of 128-token prompts and 128 new tokens:
#             knowthy vs llama-batched-bench (S_TG)
#   continuation  a draft (512-token prompt, 128-token answer) then its critique: prompt tokens
#             evaluated with the KV-cache continuation vs a fresh engine sent the whole conversation
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
llama_root=${KNOWTHY_LLAMA_ROOT:-$HOME/.cache/knowthy/llama.cpp-nlc3.22.1}
bin=$llama_root/build/bin
knowthy=$root/build/knowthy
mine=$root/build/bench/llm_bench
threads=${THREADS:-$(nproc)}
repeat=${REPEAT:-3}
dir=${KNOWTHY_BENCH_DIR:-/tmp/knowthy-bench}
mkdir -p "$dir"
for f in "$knowthy" "$mine" "$bin/llama-bench" "$bin/llama-batched-bench"; do
  [ -x "$f" ] || { echo "llm_bench: $f is missing: run scripts/build.sh (and scripts/llama.sh)" >&2; exit 1; }
done
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(tiny 100m)

for m in "${models[@]}"; do
  case $m in
    tiny) args=() ;;
    100m) args=(--embd 576 --layers 12 --heads 9 --ff 2304) ;;
    *) echo "llm_bench: unknown model '$m' (tiny or 100m)" >&2; exit 2 ;;
  esac
  model=$dir/llm-$m.gguf
  [ -f "$model" ] || "$knowthy" sample-model "$model" "${args[@]}" >&2
  out=$dir/llm-$m
  # tg at depth 512, as knowthy generates after its 512-token prompt.
  { "$bin/llama-bench" -m "$model" -t "$threads" -p 512 -n 0 -b 512 -ub 512 -r "$repeat" -o jsonl
    "$bin/llama-bench" -m "$model" -t "$threads" -p 0 -n 128 -d 512 -b 512 -ub 512 -r "$repeat" -o jsonl
  } >"$out.llama-bench.jsonl" 2>/dev/null
  "$bin/llama-batched-bench" -m "$model" -t "$threads" -c 4096 -b 512 -ub 512 -npp 128 -ntg 128 -npl 1,2,4 \
    --output-format jsonl 2>/dev/null | grep '^{' >"$out.batched-bench.jsonl"
  "$mine" -m "$model" -t "$threads" -p 512 -n 128 -r "$repeat" >"$out.knowthy.jsonl" 2>/dev/null
  python3 - "$m" "$out" "$threads" <<'PY'
import json, sys
name, out, threads = sys.argv[1], sys.argv[2], sys.argv[3]
rows = lambda f: [json.loads(l) for l in open(f) if l.strip().startswith('{')]
lb = rows(out + '.llama-bench.jsonl'); bb = rows(out + '.batched-bench.jsonl'); me = rows(out + '.knowthy.jsonl')
ref_pp = next(r['avg_ts'] for r in lb if r['n_prompt'] > 0)
ref_tg = next(r['avg_ts'] for r in lb if r['n_gen'] > 0)
mine = {r['test'] + str(r.get('n', '')): r for r in me}
params = lb[0].get('model_n_params', 0)
print(f"\n### {name} model ({params/1e6:.1f}M parameters), {threads} threads\n")
print("| test | knowthy tokens/s | llama.cpp tokens/s | ratio |")
print("|---|---:|---:|---:|")
print(f"| pp512 (llama-bench) | {mine['pp']['tps']:.1f} | {ref_pp:.1f} | {mine['pp']['tps']/ref_pp:.2f} |")
print(f"| tg128 at depth 512 (llama-bench) | {mine['tg']['tps']:.1f} | {ref_tg:.1f} | {mine['tg']['tps']/ref_tg:.2f} |")
for r in bb:
    n = r['pl']; k = mine.get(f'parallel{n}')
    if k: print(f"| {n} parallel, S_TG (batched-bench) | {k['gen_tps']:.1f} | {r['speed_tg']:.1f} | {k['gen_tps']/r['speed_tg']:.2f} |")
c = mine['continuation']
print(f"\nDraft + critique: draft prompt {c['draft_prompt']} tokens, draft answer {c['draft_answer']}, "
      f"critique prompt {c['critique_prompt']} (new part {c['critique_new_part']}).\n")
print("| | prompt tokens evaluated (pair) | critique prompt evaluated | critique prompt ms |")
print("|---|---:|---:|---:|")
print(f"| KV-cache continuation | {c['pair_evaluated_cached']} | {c['critique_evaluated_cached']} | {c['critique_prompt_ms_cached']:.1f} |")
print(f"| whole conversation again | {c['pair_evaluated_full']} | {c['critique_evaluated_full']} | {c['critique_prompt_ms_full']:.1f} |")
print(f"| target (1.1 x (draft prompt + new part)) | <= {c['target_max']} | | |")
PY
done
