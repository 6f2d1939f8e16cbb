#pragma once
// The extract step of the loop, as `knowthy extract`, `knowthy run` and (later) `tick` run it:
// recover what a crashed run left, queue redos and retries, load the model only when there is
// work, run the batches and record the run.
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
  std::string command = "extract";   // recorded in the runs table
  int max_batches = 0;               // 0: until the queue is empty
  std::vector<std::int64_t> redo{};  // done batches to do again (only these run)
  bool retry_failed = false;         // failed batches go back to pending (only these run)
};

struct ExtractResult {
  RunSummary summary;
  BatchCounts before, after;
  std::vector<std::int64_t> recovered;  // batches a crashed run had left running
  bool nothing_to_do = false;
  std::int64_t run_id = 0;
};

using BackendFactory = std::function<Result<std::unique_ptr<llm::ModelBackend>>()>;

// Under the workspace lock, before any batch runs: a batch left running by a dead process goes
// back to pending, the folder of any batch that is not done or failed is removed, and temp
// folders are cleaned. Returns the batches that were running.
Result<std::vector<std::int64_t>> recover(store::Workspace& ws, BatchQueue& queue);

Result<ExtractResult> run_extract(store::Workspace& ws, const store::Config& cfg, const BackendFactory& make_backend,
                                  util::Clock& clock, const ExtractRequest& req, RunnerEvents events = {});

QueueOptions queue_options(const store::Config& cfg);

}  // namespace knowthy::pipeline
