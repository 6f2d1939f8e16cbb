// knowthy schedule install|uninstall|show: the loop on a systemd user timer (README, "The loop").
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "cli/commands.hpp"
#include "schedule/daemon.hpp"
#include "schedule/systemd.hpp"
#include "util/process.hpp"

namespace knowthy::cli {
namespace {

using namespace std::chrono_literals;

struct Loaded {
  store::Workspace ws;
  schedule::CronExpr cron;
  schedule::Zone zone;
};

Result<Loaded> load(const GlobalOptions& g) {
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto cfg = store::load_config(ws->config_path());
  if (!cfg) return std::unexpected(cfg.error());
  auto s = schedule::daemon_settings(*cfg);  // the daemon's schedule, the timer's too
  if (!s) return std::unexpected(s.error());
  return Loaded{std::move(*ws), std::move(s->cron), s->zone};
}

// A command's success, or its output when it failed or could not run.
std::optional<std::string> run_quiet(ProcessRunner& runner, const std::string& command) {
  auto r = runner.run(command, "", 60s);
  if (!r) return r.error().why;
  if (r->exit_code != 0) {
    std::string out = r->out + r->err;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out.empty() ? fmt::format("exit status {}", r->exit_code) : out;
  }
  return std::nullopt;
}

bool have(const char* tool) { return std::system(fmt::format("command -v {} >/dev/null 2>&1", tool).c_str()) == 0; }

Status show(const GlobalOptions& g) {
  auto l = load(g);
  if (!l) return std::unexpected(l.error());
  const auto u = schedule::make_units(self_exe(), std::filesystem::absolute(l->ws.dir()), l->cron, l->zone);
  const auto dir = schedule::user_unit_dir();
  std::printf("# %s/%s.service\n%s\n# %s/%s.timer\n%s\n# or, without systemd, this crontab line (`crontab -e`):\n%s\n",
              dir.c_str(), schedule::k_unit_name, u.service.c_str(), dir.c_str(), schedule::k_unit_name,
              u.timer.c_str(), u.crontab.c_str());
  return {};
}

Status install(const GlobalOptions& g) {
  auto l = load(g);
  if (!l) return std::unexpected(l.error());
  const auto u = schedule::make_units(self_exe(), std::filesystem::absolute(l->ws.dir()), l->cron, l->zone);
  const auto dir = schedule::user_unit_dir();
  auto written = schedule::write_units(dir, u);
  if (!written) return std::unexpected(written.error());
  SystemProcessRunner runner;
  if (have("systemd-analyze")) {
    std::string files;
    for (const auto& p : *written) files += " '" + p.string() + "'";
    if (auto why = run_quiet(runner, "systemd-analyze verify" + files + " 2>&1")) {
      (void)schedule::remove_units(dir);
      return fail("schedule install", "systemd-analyze verify refuses the units: " + *why,
                  "nothing was installed; `knowthy schedule show` prints them");
    }
  }
  for (const auto& p : *written) std::printf("wrote %s\n", p.c_str());
  const std::string enable =
      fmt::format("systemctl --user daemon-reload && systemctl --user enable --now {}.timer", schedule::k_unit_name);
  if (auto why = run_quiet(runner, enable + " 2>&1")) {
    std::printf("the timer is not enabled: %s\nin your login session, run: %s\n", why->c_str(), enable.c_str());
  } else {
    std::printf("enabled %s.timer (%s%s); `systemctl --user list-timers` shows the next tick\n", schedule::k_unit_name,
                l->cron.text().c_str(), l->zone == schedule::Zone::utc ? ", UTC" : "");
  }
  return {};
}

Status uninstall() {
  SystemProcessRunner runner;
  (void)run_quiet(runner, fmt::format("systemctl --user disable --now {}.timer 2>&1", schedule::k_unit_name));
  auto removed = schedule::remove_units(schedule::user_unit_dir());
  if (!removed) return std::unexpected(removed.error());
  (void)run_quiet(runner, "systemctl --user daemon-reload 2>&1");
  if (removed->empty())
    std::printf("nothing to remove: no %s units in %s\n", schedule::k_unit_name, schedule::user_unit_dir().c_str());
  for (const auto& p : *removed) std::printf("removed %s\n", p.c_str());
  return {};
}

}  // namespace

void register_schedule(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("schedule", "run the loop from a systemd user timer ([schedule] cron)");
  cmd->require_subcommand(1);
  auto* s = cmd->add_subcommand("show", "print the systemd units and a crontab line");
  s->callback([&g, &run] { run = [&g] { return show(g); }; });
  auto* i = cmd->add_subcommand("install", "write and enable the systemd user service and timer");
  i->callback([&g, &run] { run = [&g] { return install(g); }; });
  auto* u = cmd->add_subcommand("uninstall", "disable and remove them");
  u->callback([&run] { run = [] { return uninstall(); }; });
}

}  // namespace knowthy::cli
