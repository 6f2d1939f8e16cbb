#pragma once
// `knowthy eval`: the verdict on a trained candidate, against the active model.
// - Built in: the held-out DPO pairs the candidate froze (data/dpo.heldout.jsonl) and the tweets
//   of its held-out batches are scored by both models in a child process (`knowthy eval-child`),
//   so that an abort inside llama.cpp or the OOM killer fails the candidate, never the loop;
//   eval/verdict.hpp makes the verdict.
// - [eval] command replaces the built-in evaluation: it prints {"pass": bool, "metrics": {...}}.
// - The verdict goes to models/cand_NNNN/eval.json (byte-identical for the same inputs, apart
//   from its "timing") and eval.md, then the candidate becomes passed or failed. A crash before
//   that leaves it awaiting_eval, to be evaluated again.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/candidates.hpp"
#include "store/config.hpp"
#include "store/workspace.hpp"

namespace knowthy::eval {

struct EvalRequest {
  std::optional<std::int64_t> candidate;  // none: the candidate awaiting evaluation
  std::filesystem::path self_exe;         // knowthy itself: the scoring child
  bool progress = true;                   // a progress bar on a terminal
};

struct EvalReport {
  bool evaluated = false;
  std::string nothing_reason;                    // when nothing was evaluated
  std::optional<store::CandidateRow> candidate;  // after the verdict
  std::filesystem::path dir;
  bool passed = false;
  bool broken = false;  // the evaluation itself failed (the candidate is failed with the reason)
  std::vector<std::string> reasons;
  nlohmann::ordered_json result;  // eval.json
  nlohmann::json to_json() const;
};

// What `models` shows of a candidate beside its row: its datasets (records per role, from the
// manifest), the trainer's metrics (metrics.json) and its verdict (eval.json), where they exist.
nlohmann::json candidate_summary(const std::filesystem::path& dir);

Result<EvalReport> run_eval(store::Workspace& ws, const store::Config& cfg, const EvalRequest& request);

}  // namespace knowthy::eval
