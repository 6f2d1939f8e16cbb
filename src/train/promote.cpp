#include "train/promote.hpp"

#include <fmt/format.h>

#include "store/candidates.hpp"
#include "train/command_trainer.hpp"
#include "util/fs.hpp"
#include "util/supervise.hpp"
#include "util/text.hpp"

namespace knowthy::train {

namespace fs = std::filesystem;
using nlohmann::json;

json ActiveModel::to_json() const {
  json j{{"name", name}, {"path", path}, {"rollback_to", rollback_to.empty() ? json(nullptr) : json(rollback_to)}};
  if (!adapter.empty()) j["adapter"] = adapter;
  return j;
}

json PromoteReport::to_json() const {
  return {{"action", action}, {"candidate", candidate}, {"active", active.to_json()}};
}

namespace {

// What a candidate makes active: its model, or the model it was trained from with its adapter.
ActiveModel as_active(store::Workspace& ws, const store::CandidateRow& c) {
  ActiveModel a;
  a.name = c.name;
  const std::string out = (ws.dir() / "models" / c.name / c.output.value_or("")).string();
  if (c.output_kind == "adapter") {
    a.path = c.base_path;
    a.adapter = out;
  } else {
    a.path = out;
  }
  return a;
}

ActiveModel base_model(const store::Config& cfg) {
  ActiveModel a;
  a.path = cfg.model.path;
  return a;
}

Result<ActiveModel> resolve(store::Workspace& ws, const store::Config& cfg) {
  auto stack = store::promotion_stack(ws.db());
  if (!stack) return std::unexpected(stack.error());
  if (stack->empty()) return base_model(cfg);
  ActiveModel a = as_active(ws, stack->back());
  a.rollback_to = stack->size() >= 2 ? (*stack)[stack->size() - 2].name : "base";
  return a;
}

Status write_active_json(store::Workspace& ws, const ActiveModel& a) {
  json j = a.to_json();
  j["updated_at"] = util::now_iso();
  if (auto s = util::make_private_dir(ws.dir() / "models"); !s) return s;
  return util::write_file_atomic(ws.dir() / "models" / "active.json", j.dump(2) + "\n");
}

// [promote] command, when set: {candidate_path} becomes active, replacing {previous_path}.
Status run_promote_command(store::Workspace& ws, const store::Config& cfg, const ActiveModel& next,
                           const ActiveModel& previous) {
  if (cfg.promote.command.empty()) return {};
  auto gguf = [](const ActiveModel& a) { return a.adapter.empty() ? a.path : a.adapter; };
  auto argv =
      expand_placeholders(cfg.promote.command, cfg.promote.shell,
                          {{"candidate_path", gguf(next)}, {"previous_path", gguf(previous)}}, "promote.command");
  if (!argv) return std::unexpected(argv.error());
  const fs::path log = ws.dir() / "models" / "promote.log";
  auto child = util::spawn_logged({.argv = *argv, .log = log, .out = {}, .env = {}});
  if (!child) return std::unexpected(child.error());
  const util::Finish f = util::wait_supervised(
      *child, {.timeout = std::chrono::milliseconds(static_cast<long long>(cfg.promote.timeout_minutes * 60000)),
               .grace = std::chrono::seconds(10),
               .tick = {},
               .cancel = nullptr});
  if (f.exit_code != 0 || f.timed_out)
    return fail("[promote] command",
                f.timed_out ? std::string("timed out") : fmt::format("exited with status {}", f.exit_code),
                "nothing was changed; its output is in " + log.string());
  return {};
}

}  // namespace

Result<ActiveModel> active_model(store::Workspace& ws, const store::Config& cfg) { return resolve(ws, cfg); }

Result<std::string> use_active_model(store::Workspace& ws, store::Config& cfg) {
  if (!cfg.model.use_active) return std::string("the configured model ([model] use_active = false)");
  auto a = resolve(ws, cfg);
  if (!a) return std::unexpected(a.error());
  if (a->name == "base") return std::string("the configured model (nothing is promoted)");
  if (cfg.model.backend != "llama")
    return fmt::format("the configured {} backend ({} is active, but only the llama backend loads it)",
                       cfg.model.backend, a->name);
  cfg.model.path = a->path;
  cfg.model.adapter = a->adapter;
  return fmt::format("the active model {} ([model] use_active = true)", a->name);
}

Status sync_active_json(store::Workspace& ws, const store::Config& cfg) {
  auto now = resolve(ws, cfg);
  if (!now) return std::unexpected(now.error());
  const auto path = ws.dir() / "models" / "active.json";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (now->name == "base") return {};  // nothing was ever promoted
  } else if (auto text = util::read_file(path); text) {
    const json j = json::parse(*text, nullptr, false);
    if (j.is_object() && j.value("name", "") == now->name) return {};
  }
  return write_active_json(ws, *now);
}

Result<PromoteReport> promote(store::Workspace& ws, const store::Config& cfg, std::optional<std::int64_t> id) {
  store::Db& db = ws.db();
  std::optional<store::CandidateRow> pick;
  if (id) {
    auto row = store::find_candidate(db, *id);
    if (!row) return std::unexpected(row.error());
    if (!*row)
      return bad_input(store::candidate_name(*id), "there is no such candidate", "`knowthy models` lists them");
    pick = **row;
  } else {
    auto rows = store::list_candidates(db);
    if (!rows) return std::unexpected(rows.error());
    for (const auto& c : *rows)
      if (c.state == store::CandidateState::passed) pick = c;  // the newest
    if (!pick)
      return bad_input("promote", "no candidate has passed its evaluation", "`knowthy models` shows the states");
  }
  if (pick->state != store::CandidateState::passed)
    return bad_input(pick->name,
                     fmt::format("it is {}: only a candidate that passed its evaluation can be promoted",
                                 store::to_string(pick->state)),
                     pick->state == store::CandidateState::awaiting_eval ? "run `knowthy eval` first" : "");
  auto previous = resolve(ws, cfg);
  if (!previous) return std::unexpected(previous.error());
  const ActiveModel next = as_active(ws, *pick);
  if (auto s = run_promote_command(ws, cfg, next, *previous); !s) return std::unexpected(s.error());
  if (auto s = store::record_promotion(db, pick->id); !s) return std::unexpected(s.error());
  auto now = resolve(ws, cfg);
  if (!now) return std::unexpected(now.error());
  if (auto s = write_active_json(ws, *now); !s) return std::unexpected(s.error());
  return PromoteReport{"promote", pick->name, *now};
}

Result<PromoteReport> rollback(store::Workspace& ws, const store::Config& cfg) {
  auto stack = store::promotion_stack(ws.db());
  if (!stack) return std::unexpected(stack.error());
  if (stack->empty())
    return bad_input("rollback", "nothing left to roll back to: the base model is active",
                     "`knowthy models` shows the history");
  const store::CandidateRow demoted = stack->back();
  const ActiveModel previous = as_active(ws, demoted);
  const ActiveModel next = stack->size() >= 2 ? as_active(ws, (*stack)[stack->size() - 2]) : base_model(cfg);
  if (auto s = run_promote_command(ws, cfg, next, previous); !s) return std::unexpected(s.error());
  if (auto s = store::record_rollback(ws.db(), demoted.id); !s) return std::unexpected(s.error());
  auto now = resolve(ws, cfg);
  if (!now) return std::unexpected(now.error());
  if (auto s = write_active_json(ws, *now); !s) return std::unexpected(s.error());
  return PromoteReport{"rollback", demoted.name, *now};
}

}  // namespace knowthy::train
