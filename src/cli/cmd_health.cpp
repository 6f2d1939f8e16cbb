// knowthy health: checks the loop's state, writes health.json; exit 1 when a check fails.
#include <cstdio>
#include <ctime>

#include "cli/commands.hpp"
#include "pipeline/health.hpp"
#include "store/lock.hpp"

namespace knowthy::cli {
namespace {

Status health(const GlobalOptions& g, bool json_out) {
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto cfg = store::load_config(ws->config_path());
  if (!cfg) return std::unexpected(cfg.error());
  pipeline::HealthOptions o;
  o.now = static_cast<std::int64_t>(std::time(nullptr));
  // Health runs beside a loop run. When none holds the lock, a batch marked running is a leftover.
  auto lock = store::WorkspaceLock::acquire(ws->dir(), "health");
  o.loop_may_run = !lock.has_value();
  auto rep = pipeline::check_health(*ws, *cfg, o);
  if (!rep) return std::unexpected(rep.error());
  if (auto s = pipeline::write_health(*ws, *rep); !s) return s;
  if (json_out) {
    std::printf("%s\n", rep->to_json().dump().c_str());
  } else {
    for (const auto& c : rep->checks)
      std::printf("%-4s  %-11s %s\n", pipeline::check_status_name(c.status), c.name.c_str(), c.reason.c_str());
    std::printf("health: %s (%s)\n", pipeline::check_status_name(rep->overall()), (ws->dir() / "health.json").c_str());
  }
  if (rep->overall() == pipeline::CheckStatus::fail) {
    // The report is printed; the exit code says it failed, without a second message on top.
    std::fflush(stdout);
    return std::unexpected(Error{ErrorKind::failed, "health", "a check failed (see above)", ""});
  }
  return {};
}

}  // namespace

void register_health(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("health", "check the loop's state and write health.json (exit 1 if a check fails)");
  auto json_out = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json_out, "print as JSON");
  cmd->callback([&g, &run, json_out] { run = [&g, json_out] { return health(g, *json_out); }; });
}

}  // namespace knowthy::cli
