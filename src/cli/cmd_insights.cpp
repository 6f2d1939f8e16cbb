// knowthy insights [--week YYYY-Www] [--force]: the weekly report, written once.
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "knowledge/insights.hpp"
#include "llm/factory.hpp"
#include "train/promote.hpp"

namespace knowthy::cli {
namespace {

struct InsightsArgs {
  std::string week;
  bool force = false, json_out = false;
  ModelOverrides model;
};

Status insights(const GlobalOptions& g, const InsightsArgs& a) {
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto cfg = store::load_config(ws->config_path());
  if (!cfg) return std::unexpected(cfg.error());
  if (auto used = train::use_active_model(*ws, *cfg); !used) return std::unexpected(used.error());
  a.model.apply(cfg->model);
  knowledge::InsightsOptions o;
  o.now = static_cast<std::int64_t>(std::time(nullptr));
  o.force = a.force;
  // Weeks run on the clock the schedule uses: the machine's local time, or UTC.
  const bool local = cfg->schedule.zone == "local";
  knowledge::IsoWeek wk = local ? knowledge::previous_local_iso_week(o.now) : knowledge::previous_iso_week(o.now);
  if (!a.week.empty()) {
    auto w = knowledge::parse_iso_week(a.week);
    if (!w) return std::unexpected(w.error());
    wk = local ? knowledge::in_local_time(*w) : *w;
  }
  SystemProcessRunner runner;
  if (cfg->insights.model_summary) o.summarize = knowledge::model_summarizer(*cfg, runner);
  auto r = knowledge::write_insights(*ws, wk, o);
  if (!r) return std::unexpected(r.error());
  if (a.json_out) {
    std::printf("%s\n",
                nlohmann::json{{"week", wk.label()}, {"path", r->path}, {"written", r->written}}.dump().c_str());
  } else if (r->written) {
    std::printf("insights for %s written: %s\n", wk.label().c_str(), r->path.c_str());
  } else {
    std::printf("insights for %s already written (kept; --force rewrites it): %s\n", wk.label().c_str(),
                r->path.c_str());
  }
  return {};
}

}  // namespace

void register_insights(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("insights", "write the weekly report, insights/YYYY-Www.md (once)");
  auto a = std::make_shared<InsightsArgs>();
  cmd->add_option("--week", a->week, "the ISO week, e.g. 2026-W48 (default: the last complete week)");
  cmd->add_flag("--force", a->force, "rewrite a report that exists");
  cmd->add_flag("--json", a->json_out, "print as JSON");
  a->model.add_to(cmd);
  cmd->callback([&g, &run, a] { run = [&g, a] { return insights(g, *a); }; });
}

}  // namespace knowthy::cli
