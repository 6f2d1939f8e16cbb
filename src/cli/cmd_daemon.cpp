// knowthy daemon: ticks on the [schedule] cron times until SIGTERM or SIGINT; SIGHUP reloads
// knowthy.toml. JSON lines in workspace/logs/daemon.jsonl (batch ids, never tweet text).
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "schedule/daemon.hpp"
#include "store/runs.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"

namespace knowthy::cli {
namespace {

using nlohmann::json;
constexpr size_t k_detail_max = 500;  // a step's detail in the log is cut here

std::string clip(std::string s) {
  if (s.size() > k_detail_max) s = s.substr(0, k_detail_max) + "...";  // a cut character is replaced when dumped
  return s;
}

Status daemon_cmd(const GlobalOptions& g) {
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto loaded = store::load_config(ws->config_path());
  if (!loaded) return std::unexpected(loaded.error());
  store::Config cfg = std::move(*loaded);
  auto settings = schedule::daemon_settings(cfg);
  if (!settings) return std::unexpected(settings.error());
  auto last = store::last_run(ws->db(), "tick");
  if (!last) return std::unexpected(last.error());
  const std::int64_t last_tick = *last ? util::iso_to_unix((*last)->started_at).value_or(0) : 0;

  util::CancelOnSignal signals(util::CancelOnSignal::Hup::reloads);
  schedule::EventLog log(ws->dir() / "logs" / "daemon.jsonl",
                         static_cast<std::uint64_t>(cfg.schedule.log_max_kb) * 1024, cfg.schedule.log_files);
  std::fprintf(stderr, "knowthy daemon: ticking at \"%s\" (%s); log: %s; stop with SIGTERM or Ctrl-C\n",
               cfg.schedule.cron.c_str(), cfg.schedule.zone.c_str(), log.path().c_str());

  schedule::SystemWallClock clock;
  schedule::DaemonHooks hooks;
  hooks.log = [&log](json e) { log.write(std::move(e)); };
  hooks.stop_requested = [] { return util::CancelOnSignal::flag().load(); };
  hooks.take_reload = [] { return util::CancelOnSignal::take_reload(); };
  hooks.reload = [&]() -> Result<schedule::DaemonSettings> {
    auto c = store::load_config(ws->config_path());
    if (!c) return std::unexpected(c.error());
    auto s = schedule::daemon_settings(*c);
    if (!s) return std::unexpected(s.error());
    cfg = std::move(*c);  // only a configuration that is valid throughout replaces the old one
    log.set_limits(static_cast<std::uint64_t>(cfg.schedule.log_max_kb) * 1024, cfg.schedule.log_files);
    return s;
  };
  hooks.tick = [&] {
    log.write({{"event", "tick_start"}});
    TickHooks th{.lock_name = "daemon",
                 .progress = false,
                 .on_event = [&log](const json& e) { log.write(e); },
                 .on_abandon =
                     [&log](double s) {
                       log.write({{"event", "abandoned"},
                                  {"reason", fmt::format("the batch in flight did not finish within [schedule] "
                                                         "stop_grace_s ({}s); the next run does it again",
                                                         s)}});
                       log.write({{"event", "stop"}, {"signal", util::CancelOnSignal::signal()}});
                     },
                 .abandon_exit_code = 0};
    auto rep = locked_tick(*ws, cfg, th);
    if (!rep) {
      // Another run holding the lock is a skipped tick, not a failure of the daemon.
      log.write({{"event", "tick"},
                 {"status", rep.error().kind == ErrorKind::locked ? "skipped" : "failed"},
                 {"error", clip(format_error(rep.error()))}});
      return;
    }
    json event = rep->to_json();
    for (auto& s : event["steps"]) s["detail"] = clip(s["detail"].get<std::string>());
    event["event"] = "tick";
    log.write(std::move(event));
  };
  schedule::Daemon daemon(std::move(*settings), clock, std::move(hooks));
  const auto stats = daemon.run(last_tick);
  log.write({{"event", "stop"},
             {"signal", util::CancelOnSignal::signal()},
             {"ticks", stats.ticks},
             {"missed", stats.missed},
             {"skipped_busy", stats.skipped_busy}});
  std::fprintf(stderr, "knowthy daemon: stopped (signal %d) after %d tick(s)\n", util::CancelOnSignal::signal(),
               stats.ticks);
  return {};
}

}  // namespace

void register_daemon(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd =
      app.add_subcommand("daemon",
                         "tick on the [schedule] cron times until SIGTERM/SIGINT; SIGHUP reloads knowthy.toml; logs in "
                         "workspace/logs/daemon.jsonl");
  cmd->callback([&g, &run] { run = [&g] { return daemon_cmd(g); }; });
}

}  // namespace knowthy::cli
