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

// Run it under the workspace lock: a batch marked running then is a leftover, not work in flight.
Result<IntegrityReport> check_integrity(store::Workspace& ws);

}  // namespace knowthy::pipeline
