#pragma once
// `knowthy health`: how the loop is doing, without opening the database by hand. Each check has a
// status (ok, warn, fail) and a reason; the report is written to health.json.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llm/probe.hpp"
#include "store/config.hpp"
#include "store/workspace.hpp"

namespace knowthy::pipeline {

enum class CheckStatus { ok, warn, fail };
const char* check_status_name(CheckStatus s);

struct HealthCheck {
  std::string name;
  CheckStatus status = CheckStatus::ok;
  std::string reason;
};

struct HealthReport {
  std::string checked_at;
  std::vector<HealthCheck> checks;
  CheckStatus overall() const;  // the worst check
  nlohmann::json to_json() const;
};

struct HealthOptions {
  std::int64_t now = 0;      // seconds since the epoch (UTC)
  bool loop_may_run = true;  // the caller does not hold the workspace lock
  // The model probe (a fake in tests); default llm::probe_backend.
  std::function<llm::ProbeResult(const store::Config::Model&)> probe;
};

// Runs every check; an error is returned only when the checks themselves cannot run.
Result<HealthReport> check_health(store::Workspace& ws, const store::Config& cfg, const HealthOptions& options);

// Writes the report to health.json (atomically).
Status write_health(const store::Workspace& ws, const HealthReport& r);

}  // namespace knowthy::pipeline
