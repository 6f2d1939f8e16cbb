#pragma once
// Checks that the database and the runs/ folder agree: what a crash must never break. Used by
// `knowthy verify` and by the crash tests.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/workspace.hpp"

namespace knowthy::pipeline {

struct IntegrityReport {
  std::vector<std::string> problems;  // empty: consistent
  std::int64_t batches_checked = 0;
  std::int64_t tweets_in_batches = 0;
  nlohmann::json to_json() const;
};

struct IntegrityOptions {
  bool sqlite_check = true;  // PRAGMA integrity_check (reads the whole database)
  // A loop run may be in progress (the caller could not take the lock): a batch marked running
  // and its folder being written are work in flight, not problems.
  bool loop_may_run = false;
};

// Run it under the workspace lock (or with loop_may_run): a batch marked running is otherwise a
// leftover, not work in flight.
Result<IntegrityReport> check_integrity(store::Workspace& ws, const IntegrityOptions& options = {});

}  // namespace knowthy::pipeline
