#!/usr/bin/env bash
# The main job end to end on the embedded defaults: a synthetic archive made by knowthy itself,
# imported into a fresh private workspace outside the clone, the embedded engine checked with
# knowthy's own tiny model (its answers are nonsense, but valid JSON under each batch's grammar),
# then every tweet read in batches (draft, then critique), the workspace's status and a
# consistency check; then the profile, the datasets, the health report and this week's insights;
# then a forced `train` with the built-in llama-opt trainer on the sample model (a candidate that
# awaits evaluation, with its training and held-out loss in models/cand_0001/metrics.json), its
# evaluation against the base model, and its promotion when it passed.
# Every step must succeed: nothing here is allowed to fail quietly.
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
./build/knowthy --workspace "$demo/workspace" run
./build/knowthy --workspace "$demo/workspace" status
./build/knowthy --workspace "$demo/workspace" verify
./build/knowthy --workspace "$demo/workspace" consolidate
./build/knowthy --workspace "$demo/workspace" datasets
./build/knowthy --workspace "$demo/workspace" health
./build/knowthy --workspace "$demo/workspace" insights --week "$(date -u +%G-W%V)"
./build/knowthy --workspace "$demo/workspace" train --force
# The verdict, then a promotion only when the candidate passed (a random model may well fail).
./build/knowthy --workspace "$demo/workspace" eval
if ./build/knowthy --workspace "$demo/workspace" models --json | grep -q '"state":"passed"'; then
  ./build/knowthy --workspace "$demo/workspace" promote
else
  echo "not promoted: the candidate failed its evaluation (models/cand_0001/eval.md says why)"
fi
./build/knowthy --workspace "$demo/workspace" models
echo "artifacts: $demo/workspace/{runs,profile,datasets,insights,models}/ and health.json"
echo "demo: $(($(date +%s) - start)) s after the build"
