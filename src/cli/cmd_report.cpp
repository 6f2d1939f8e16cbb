// knowthy report [--out FILE] [--open] [--json]: one self-contained HTML page of the workspace.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "report/report.hpp"
#include "train/command_trainer.hpp"
#include "util/text.hpp"

namespace knowthy::cli {
namespace {

using namespace std::chrono_literals;

struct ReportArgs {
  std::string out;
  bool open = false, json_out = false;
};

Status report_cmd(const GlobalOptions& g, const ReportArgs& a) {
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto cfg = store::load_config(ws->config_path());
  if (!cfg) return std::unexpected(cfg.error());
  auto r = report::write_report(*ws, *cfg, {.out = a.out, .now_iso = util::now_iso()});
  if (!r) return std::unexpected(r.error());
  if (a.json_out) {
    std::printf(
        "%s\n",
        nlohmann::json{{"path", r->path.string()}, {"bytes", r->bytes}, {"seconds", r->seconds}}.dump().c_str());
  } else {
    std::printf("%s\n", r->path.c_str());
  }
  if (a.open) {
    // The desktop's browser, as the person's own program; nothing is sent anywhere by knowthy.
    SystemProcessRunner runner;
    auto o = runner.run(
        "command -v xdg-open >/dev/null && xdg-open " + train::shell_quote(r->path.string()) + " >/dev/null 2>&1", "",
        30s);
    if (!o || o->exit_code != 0)
      std::fprintf(stderr, "knowthy: could not open a browser (no xdg-open?); open %s yourself\n", r->path.c_str());
  }
  return {};
}

}  // namespace

void register_report(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd =
      app.add_subcommand("report",
                         "one self-contained HTML page of the archive, the loop, the profile, the datasets, the "
                         "models and the latest week (no network); prints its path");
  auto a = std::make_shared<ReportArgs>();
  cmd->add_option("--out", a->out, "write it here (default: workspace/reports/report-<time>.html)");
  cmd->add_flag("--open", a->open, "open it in the desktop's browser (xdg-open)");
  cmd->add_flag("--json", a->json_out, "print {path, bytes, seconds}");
  cmd->callback([&g, &run, a] { run = [&g, a] { return report_cmd(g, *a); }; });
}

}  // namespace knowthy::cli
