#pragma once
// The `runs` table for commands that record themselves as one run (tick), and the steps of a run.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace knowthy::store {

// Rows still 'running' belong to a process that died (the caller holds the workspace lock): they
// become 'stopped', "interrupted". With include_ticks false, 'tick' rows are left to the next tick
// (an extract inside a tick must not close its own tick's row).
Status close_interrupted_runs(Db& db, bool include_ticks);

// A row with status 'running'; returns its id.
Result<std::int64_t> begin_run(Db& db, const std::string& command);
// status: ok | stopped | failed.
Status finish_run(Db& db, std::int64_t id, const std::string& status, const std::string& message);

struct RunRow {
  std::int64_t id = 0;
  std::string command, started_at, finished_at, status, message;
};
// The newest `limit` runs of `command`, newest first.
Result<std::vector<RunRow>> recent_runs(Db& db, const std::string& command, int limit);
// The newest run of `command`, if any.
Result<std::optional<RunRow>> last_run(Db& db, const std::string& command);

struct RunStep {
  std::string step, status, detail, started_at;  // status: ok | skipped | failed
  double seconds = 0;
};
Status record_step(Db& db, std::int64_t run_id, int index, const RunStep& s);
// A run's steps, in order.
Result<std::vector<RunStep>> run_steps(Db& db, std::int64_t run_id);

}  // namespace knowthy::store
