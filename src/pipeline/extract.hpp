#pragma once
// The extract step of the loop, as `knowthy extract`, `knowthy run` and (later) `tick` run it:
// recover what a crashed run left, queue redos and retries, load the model only when there is
// work, run the batches and record the run.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "llm/backend.hpp"
#include "pipeline/batch_runner.hpp"
#include "store/config.hpp"
#include "store/workspace.hpp"
#include "util/clock.hpp"

namespace knowthy::pipeline {

struct ExtractRequest {
  std::string command = "extract";           // recorded in the runs table
  int max_batches = 0;                       // 0: until the queue is empty
  std::chrono::milliseconds time_budget{0};  // no batch starts after this long; 0: no limit
  std::vector<std::int64_t> redo{};          // done batches to do again (only these run)
  bool retry_failed = false;                 // failed batches go back to pending (only these run)
  const std::atomic<bool>* stop = nullptr;   // set by a signal: finish the batches in flight, claim no more
};

struct ExtractResult {
  RunSummary summary;
  BatchCounts before, after;
  std::vector<std::int64_t> recovered;  // batches a crashed run had left running
  bool nothing_to_do = false;
  std::int64_t run_id = 0;
};

using BackendFactory = std::function<Result<std::unique_ptr<llm::ModelBackend>>()>;

// Under the workspace lock, before any batch runs: the folder of every pending batch (one a
// dead process had started, or one queued for a redo or retry) is removed, and so are temp folders.
Status remove_unfinished_folders(store::Workspace& ws);

Result<ExtractResult> run_extract(store::Workspace& ws, const store::Config& cfg, const BackendFactory& make_backend,
                                  util::Clock& clock, const ExtractRequest& req, RunnerEvents events = {});

QueueOptions queue_options(const store::Config& cfg);

// What one pass may write at most (max_tokens, or the schema's worst case), and whether the
// bounds fit the backend's context beside the prompt: the prompt without tweets, the draft, the
// critique's message and the critique, with room left for the batch's tweets. Bad input with the
// numbers when they do not (a configuration error, at start). Backends that cannot count tokens
// or do not say their context are only checked for max_tokens.
struct Budget {
  int per_pass = 0;          // max_tokens of each pass
  int bound = 0;             // the schema's worst case
  int prompt_overhead = 0;   // the draft prompt with no tweets (0: unknown)
  int critique_message = 0;  // what the critique's message adds, with a small margin (0: unknown)
  int context = 0;           // the backend's context per conversation (0: unknown)
  // What the context leaves for a batch's tweets beside the rest (when both are known).
  long long tweets_room() const {
    return static_cast<long long>(context) - prompt_overhead - critique_message - 2LL * per_pass;
  }
};
Result<Budget> check_budget(llm::ModelBackend& backend, const Prompts& prompts, const std::string& account,
                            const store::Config& cfg);

}  // namespace knowthy::pipeline
