// knowthy tick: one pass of the loop under one lock, a line per step.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "schedule/tick.hpp"
#include "store/lock.hpp"
#include "util/signals.hpp"

namespace knowthy::cli {

Result<schedule::TickReport> locked_tick(store::Workspace& ws, const store::Config& cfg, const TickHooks& hooks) {
  auto lock = store::WorkspaceLock::acquire(ws.dir(), hooks.lock_name);
  if (!lock) return std::unexpected(lock.error());
  SystemProcessRunner runner;
  util::SystemClock clock;
  schedule::LoopContext ctx{.ws = ws,
                            .cfg = cfg,
                            .runner = runner,
                            .clock = clock,
                            .now = static_cast<std::int64_t>(std::time(nullptr)),
                            .self_exe = self_exe(),
                            .knowthy_version = KNOWTHY_VERSION,
                            .progress = hooks.progress,
                            .stop = &util::CancelOnSignal::flag(),
                            .on_event = hooks.on_event};
  // After a stop signal the batch in flight gets [schedule] stop_grace_s to commit. A model call
  // that does not return by then is abandoned: the process exits, the kernel drops the lock, and
  // the next run puts the batch back to pending (as after a crash: nothing is half-written).
  util::GraceTimer grace(util::CancelOnSignal::flag(),
                         std::chrono::milliseconds(static_cast<long long>(cfg.schedule.stop_grace_s * 1000)),
                         [&hooks, s = cfg.schedule.stop_grace_s] {
                           hooks.on_abandon(s);
                           std::fflush(nullptr);
                           ::_exit(hooks.abandon_exit_code);
                         });
  return schedule::run_tick(ctx);
}

namespace {

Status tick_cmd(const GlobalOptions& g, bool json_out) {
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto cfg = store::load_config(ws->config_path());
  if (!cfg) return std::unexpected(cfg.error());
  util::CancelOnSignal signals;
  TickHooks hooks{.lock_name = "tick",
                  .progress = !json_out,
                  .on_event = {},
                  .on_abandon =
                      [](double s) {
                        std::fprintf(stderr,
                                     "knowthy: the batch in flight did not finish within [schedule] stop_grace_s "
                                     "(%gs); abandoned: the next run does it again\n",
                                     s);
                      },
                  .abandon_exit_code = 128 + SIGTERM};
  auto rep = locked_tick(*ws, *cfg, hooks);
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
  if (rep->stopped)
    return fail("tick", fmt::format("stopped by signal {}", util::CancelOnSignal::signal()),
                "the next tick goes on where this one stopped");
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
