// knowthy tick: one pass of the loop under one lock, a line per step.
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "schedule/tick.hpp"
#include "store/lock.hpp"

namespace knowthy::cli {
namespace {

Status tick_cmd(const GlobalOptions& g, bool json_out) {
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto lock = store::WorkspaceLock::acquire(ws->dir(), "tick");
  if (!lock) return std::unexpected(lock.error());
  auto cfg = store::load_config(ws->config_path());
  if (!cfg) return std::unexpected(cfg.error());
  SystemProcessRunner runner;
  util::SystemClock clock;
  schedule::LoopContext ctx{.ws = *ws,
                            .cfg = *cfg,
                            .runner = runner,
                            .clock = clock,
                            .now = static_cast<std::int64_t>(std::time(nullptr)),
                            .self_exe = self_exe(),
                            .knowthy_version = KNOWTHY_VERSION,
                            .progress = !json_out};
  auto rep = schedule::run_tick(ctx);
  if (!rep) return std::unexpected(rep.error());
  if (json_out) {
    std::printf("%s\n", rep->to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    for (const auto& s : rep->steps)
      std::printf("%-12s %s%s%s\n", s.name.c_str(), std::string(schedule::to_string(s.status)).c_str(),
                  s.detail.empty() ? "" : ": ", s.detail.c_str());
  }
  int failed = 0;
  for (const auto& s : rep->steps) failed += s.status == schedule::StepStatus::failed;
  if (failed > 0)
    return fail("tick", std::to_string(failed) + " step(s) failed",
                "the lines above say why; the next tick tries again");
  return {};
}

}  // namespace

void register_tick(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("tick",
                                 "one pass of the loop: extract, consolidate, datasets, health, train, eval, "
                                 "promote, insights");
  auto j = std::make_shared<bool>(false);
  cmd->add_flag("--json", *j, "print as JSON");
  cmd->callback([&g, &run, j] { run = [&g, j] { return tick_cmd(g, *j); }; });
}

}  // namespace knowthy::cli
