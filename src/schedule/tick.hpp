#pragma once
// `knowthy tick`: one pass of the loop (docs/DESIGN.md, "The loop, one tick"), under the one
// workspace lock its caller holds: extract (within [extract] batches_per_tick and
// minutes_per_tick), consolidate, datasets, health, the train gate, the eval gate, the promote
// gate, and the weekly insights report (the week just ended, once). Each step is isolated: an
// error or exception in one is recorded with its name and the next step runs; a step that depends
// on another sees its result (promote never runs on a failed eval). The tick is a `runs` row
// (command 'tick') and each step a `run_steps` row, so health and status see the last tick.
// The model is loaded by the steps that need it and released when they end.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/config.hpp"
#include "store/workspace.hpp"
#include "util/clock.hpp"
#include "util/process.hpp"

namespace knowthy::schedule {

enum class StepStatus { ok, skipped, failed };
std::string_view to_string(StepStatus s);

struct StepResult {
  std::string name;
  StepStatus status = StepStatus::ok;
  std::string detail;  // what it did, why it was skipped, or the error
  std::string started_at;
  double seconds = 0;
};

struct TickReport {
  std::int64_t run_id = 0;
  std::vector<StepResult> steps;
  bool stopped = false;  // a signal came: the steps after it were skipped
  bool failed() const;
  // failed (a step failed), stopped (a signal came) or ok: the tick's `runs` status.
  std::string_view status() const;
  nlohmann::json to_json() const;
};

// What every step shares: the workspace, its configuration (loaded once) and the side effects.
struct LoopContext {
  store::Workspace& ws;
  store::Config cfg;
  ProcessRunner& runner;
  util::Clock& clock;
  std::int64_t now = 0;            // wall clock, seconds since the epoch (the insights' week)
  std::filesystem::path self_exe;  // knowthy itself: the trainer's and evaluator's child processes
  std::string knowthy_version;
  bool progress = false;  // the extract step's bar on a terminal
  // Set by SIGTERM/SIGINT: the extract step claims no more batches, later steps are skipped.
  const std::atomic<bool>* stop = nullptr;
  // What the tick does, as events for the daemon's log (batch ids, never tweet text).
  std::function<void(const nlohmann::json&)> on_event;
};

// Runs every step; fails only when the tick cannot be recorded at all.
Result<TickReport> run_tick(LoopContext& ctx);

}  // namespace knowthy::schedule
