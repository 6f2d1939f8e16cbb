#!/usr/bin/env bash
# The main job end to end on the embedded defaults: a synthetic archive made by knowthy itself,
# imported into a fresh private workspace outside the clone, the embedded engine checked with
# knowthy's own tiny model (its answers are nonsense, but valid JSON under each batch's grammar),
# then the loop itself, `knowthy tick`: the first tick reads every tweet in batches (draft, then
# critique), consolidates the profile, builds the datasets, checks health, opens the train gate
# (the built-in llama-opt trainer on the sample model), evaluates the candidate against the sample
# model and promotes it when it passed, and writes last week's insights report. A forced train
# follows when the gate stayed closed, then a second tick (nothing new to read; it evaluates a
# forced candidate). Every step must succeed: nothing here is allowed to fail quietly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release >/dev/null
demo="${KNOWTHY_DEMO_DIR:-${TMPDIR:-/tmp}/knowthy-demo}"
rm -rf "$demo"
mkdir -p "$demo"
start=$(date +%s)
./build/knowthy sample-archive "$demo/archive.zip" --tweets 500
./build/knowthy sample-model "$demo/model.gguf"
./build/knowthy --workspace "$demo/workspace" init
# The demo's settings (small answers, for the random model), pointed at the sample model, as a
# user would point the workspace at theirs.
{ cat scripts/demo.toml; echo "path = \"$demo/model.gguf\""; } >"$demo/workspace/knowthy.toml"
./build/knowthy --workspace "$demo/workspace" ingest "$demo/archive.zip"
./build/knowthy --workspace "$demo/workspace" model check
./build/knowthy --workspace "$demo/workspace" tick
# A forced train when the first tick's gate stayed closed (too few batches for [train] min_new_batches).
if ! ./build/knowthy --workspace "$demo/workspace" models --json | grep -q '"name":"cand_'; then
  ./build/knowthy --workspace "$demo/workspace" train --force
fi
./build/knowthy --workspace "$demo/workspace" tick
./build/knowthy --workspace "$demo/workspace" verify
./build/knowthy --workspace "$demo/workspace" status
./build/knowthy --workspace "$demo/workspace" models
report=$(./build/knowthy --workspace "$demo/workspace" report)
w="$demo/workspace"
echo "outputs:"
echo "  profile     $w/profile/profile.md (every claim links its tweets)"
echo "  datasets    $w/datasets/{dpo,sft}.{train,heldout}.jsonl"
echo "  health      $w/health.json"
echo "  insights    $(ls "$w"/insights/*.md | tr '\n' ' ')"
echo "  candidate   $w/models/cand_0001/ (manifest.json, metrics.json, eval.md)"
echo "  batches     $w/runs/batch_NNNNNN/ (the raw draft and critique, batch.json)"
echo "  report      $report (one page, no network: open it in a browser)"
echo "demo: $(($(date +%s) - start)) s after the build"
