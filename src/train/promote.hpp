#pragma once
// The active model: a pointer (the `promotions` rows and models/active.json), never a copy.
// `promote` makes a passed candidate active, `rollback` the one before it; both run [promote]
// command first and change nothing when it fails.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "store/config.hpp"
#include "store/workspace.hpp"

namespace knowthy::train {

struct ActiveModel {
  std::string name = "base";  // base, or a promoted candidate
  std::string path;           // the model file
  std::string adapter;        // its LoRA adapter over `path`, if it is one
  std::string rollback_to;    // what `rollback` would make active: base or a candidate; empty: nothing
  nlohmann::json to_json() const;
};

Result<ActiveModel> active_model(store::Workspace& ws, const store::Config& cfg);
// models/active.json says what the promotions table says: a process killed between the two
// writes of a promote or rollback left it behind, and this rewrites it (the table is the truth).
Status sync_active_json(store::Workspace& ws, const store::Config& cfg);

// With [model] use_active, points cfg.model at the active model (no change while it is the base).
// Returns a line saying which model is used and why.
Result<std::string> use_active_model(store::Workspace& ws, store::Config& cfg);

struct PromoteReport {
  std::string action;  // promote | rollback
  std::string candidate;
  ActiveModel active;  // after
  nlohmann::json to_json() const;
};

// The newest passed candidate, or `id`; any other state is refused (bad input).
Result<PromoteReport> promote(store::Workspace& ws, const store::Config& cfg, std::optional<std::int64_t> id);
// The active candidate is demoted (rolled_back); the one before it (or the base) is active again.
Result<PromoteReport> rollback(store::Workspace& ws, const store::Config& cfg);

}  // namespace knowthy::train
