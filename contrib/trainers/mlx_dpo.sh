#!/usr/bin/env bash
# knowthy's `command` trainer for mlx-lm-lora (Apple silicon): DPO with LoRA, the adapter fused
# into the model, then llama.cpp's convert_hf_to_gguf.py, so that the candidate is a GGUF model.
# Not run by knowthy's tests (it needs macOS, mlx-lm-lora and mlx-lm).
#
# knowthy.toml:
#   [train]
#   trainer = "command"
#   command = ["/path/to/knowthy/contrib/trainers/mlx_dpo.sh", "/models/Qwen2.5-1.5B-Instruct",
#              "/opt/llama.cpp", "{dpo_train}", "{dpo_heldout}", "{output_dir}"]
#
# The first argument is the Hugging Face folder (or MLX model) of the same model [model] path
# holds as GGUF; the second a llama.cpp checkout (for convert_hf_to_gguf.py). Set PYTHON to the
# Python that has mlx-lm-lora, mlx-lm and llama.cpp's gguf requirements (default: python3).
set -euo pipefail
hf_model=$1 llama_cpp=$2 dpo_train=$3 dpo_heldout=$4 out=$5
py="${PYTHON:-python3}"
data="$out/mlx-data"
mkdir -p "$data"
# knowthy's conversational lines -> mlx-lm-lora's DPO lines: system, prompt, chosen, rejected.
"$py" - "$dpo_train" "$data/train.jsonl" "$dpo_heldout" "$data/valid.jsonl" <<'PY'
import json, sys
def text(messages, role):
    return "\n\n".join(m["content"] for m in messages if m["role"] == role)
for src, dst in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    with open(src) as f, open(dst, "w") as out:
        for line in f:
            r = json.loads(line)
            out.write(json.dumps({"system": text(r["prompt"], "system"), "prompt": text(r["prompt"], "user"),
                                  "chosen": r["chosen"][0]["content"], "rejected": r["rejected"][0]["content"]}) + "\n")
PY
[ -s "$data/valid.jsonl" ] || head -n 1 "$data/train.jsonl" >"$data/valid.jsonl" # it requires one
"$py" -m mlx_lm_lora.train --model "$hf_model" --train --train-mode dpo --data "$data" \
  --beta 0.1 --learning-rate 5e-6 --batch-size 1 --max-seq-length 16384 --grad-checkpoint \
  --adapter-path "$out/adapter"
"$py" -m mlx_lm.fuse --model "$hf_model" --adapter-path "$out/adapter" --save-path "$out/fused" --de-quantize
"$py" "$llama_cpp/convert_hf_to_gguf.py" "$out/fused" --outtype f16 --outfile "$out/model.gguf"
