#!/usr/bin/env bash
# Runs every test that drives a model on 16 random-weight sample models (seeds 1..16), with 1 and
# 2 engine threads. Another seed is another model; another thread count sums in another order,
# which gives another CPU's floating-point results in miniature. The tests assert only what the
# construction guarantees (the grammar, the bounds, the token accounting), so every run must pass.
# Usage: scripts/sweep.sh [first_seed last_seed]   (default 1 16; builds first, like test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
first="${1:-1}"
last="${2:-16}"
bash scripts/build.sh release >/dev/null
model_tests='^(LlamaBackendTest|LlamaServerTest|SampleModel|SampleModelE2E|ExtractE2E\.TheTinyModel|FaultE2E\.AModelServer|ModelCheckE2E\.(EmbeddedModelWorks|BoundsThat)|Extraction\.UnderTheBatchSchema|Score\.|PlantedPreferences\.|DemoE2E)'
start=$(date +%s)
failed=()
for seed in $(seq "$first" "$last"); do
  for threads in 1 2; do
    # Two threads per engine on two cores: one test at a time, or the thread pools fight.
    jobs=$((threads == 1 ? 2 : 1))
    if KNOWTHY_TEST_MODEL_SEED=$seed KNOWTHY_TEST_THREADS=$threads \
      ctest --test-dir build -R "$model_tests" -j "$jobs" --output-on-failure >"build/sweep-$seed-$threads.log" 2>&1; then
      echo "seed $seed, $threads thread(s): ok"
    else
      echo "seed $seed, $threads thread(s): FAILED (build/sweep-$seed-$threads.log)"
      failed+=("$seed/$threads")
    fi
  done
done
echo "sweep: $(( $(date +%s) - start )) s for seeds $first..$last x threads 1, 2"
if ((${#failed[@]})); then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
