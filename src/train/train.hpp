#pragma once
// `knowthy train`: the train gate, the candidate it makes and the trainer it runs.
// - The gate opens when, since the last candidate, new clean DPO train pairs >= min_new_pairs or
//   new done batches >= min_new_batches, and no candidate is training or awaiting evaluation.
//   --force skips the counts, never the rule about a candidate waiting for its verdict.
// - A candidate gets models/cand_NNNN/: manifest.json, data/ (the datasets frozen by hard links),
//   output/ (where the trainer leaves its GGUF), train.log.
// - States: ready (no trainer) | training -> awaiting_eval | train_failed (with the reason).
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/candidates.hpp"
#include "store/config.hpp"
#include "store/workspace.hpp"

namespace knowthy::train {

struct TrainRequest {
  bool force = false;
  bool rebuild_datasets = true;    // `datasets` first, so the gate sees every finished batch
  std::string knowthy_version;     // written into the manifest
  std::filesystem::path self_exe;  // knowthy itself: the built-in trainer's child process
  bool progress = true;            // a progress line on a terminal
};

struct TrainReport {
  std::vector<std::string> recovered;  // candidates whose trainer had died, now train_failed
  bool opened = false;
  bool forced = false;
  std::string closed_reason;  // one line, when the gate stayed closed
  store::NewSince counts;
  int min_pairs = 0, min_batches = 0;
  std::optional<std::string> last_candidate;
  std::optional<store::CandidateRow> blocking;
  std::optional<store::CandidateRow> candidate;  // the one made, in its final state
  std::filesystem::path dir;                     // its folder
  nlohmann::json metrics;                        // llama-opt: metrics.json
  nlohmann::json to_json() const;
};

// Opens the workspace's gate and, when it opens, makes and trains a candidate. A trainer that
// fails leaves the candidate train_failed and is not an error of this function (the report says
// so); errors are bad settings, a refused pre-flight check (quantized model, too little memory),
// and I/O.
Result<TrainReport> run_train(store::Workspace& ws, const store::Config& cfg, const TrainRequest& request);

// Candidates left `training` by a knowthy process that is gone: what is left of their trainer is
// stopped and they become train_failed ("trainer died"). Returns their names.
Result<std::vector<std::string>> recover_stale_candidates(store::Db& db, std::chrono::milliseconds grace);

// Every candidate, as a command that looks at them (status, models) shows them: after the stale
// ones are recovered.
Result<std::vector<store::CandidateRow>> list_candidates_recovered(store::Db& db, std::chrono::milliseconds grace);

nlohmann::json candidate_json(const store::CandidateRow& c);

}  // namespace knowthy::train
