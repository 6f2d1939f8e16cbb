// knowthy extract / knowthy run: the two-pass extraction over the batch queue. `extract` does a
// budget of batches (a scheduler tick's worth), `run` goes on until every tweet is in a done or
// failed batch, with a progress bar.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "llm/factory.hpp"
#include "pipeline/extract.hpp"
#include "store/lock.hpp"
#include "train/promote.hpp"
#include "util/progress.hpp"

namespace knowthy::cli {
namespace {

struct ExtractOpts {
  ModelOverrides ov;
  int batches = 0;
  std::vector<std::int64_t> redo;
  bool retry_failed = false;
  bool json = false;
  bool no_progress = false;
};

nlohmann::json counts_json(const pipeline::BatchCounts& c) {
  return {{"done", c.done}, {"failed", c.failed}, {"pending", c.pending}, {"tweets_remaining", c.tweets_remaining}};
}

nlohmann::json result_json(const pipeline::ExtractResult& r) {
  const auto& s = r.summary;
  nlohmann::json batches = nlohmann::json::array();
  for (const auto& b : s.batches) {
    nlohmann::json o{{"id", b.id}, {"status", pipeline::batch_status_name(b.status)}, {"tweets", b.tweets}};
    if (b.status == pipeline::BatchStatus::done)
      o.update({{"candidates", b.candidates},
                {"hallucinated_ids", b.hallucinated_ids},
                {"prompt_tokens", b.prompt_tokens},
                {"completion_tokens", b.completion_tokens}});
    else
      o["error"] = b.error;
    batches.push_back(std::move(o));
  }
  return {{"batches_done", s.done},
          {"batches_failed", s.failed},
          {"batches_released", s.released},
          {"tweets", s.tweets},
          {"prompt_tokens", s.prompt_tokens},
          {"completion_tokens", s.completion_tokens},
          {"seconds", s.seconds},
          {"model_seconds", s.model_seconds},
          {"tweets_per_s", s.seconds > 0 ? static_cast<double>(s.tweets) / s.seconds : 0.0},
          {"stopped", s.stopped},
          {"stop_reason", s.stop_reason},
          {"recovered", r.recovered},
          {"nothing_to_do", r.nothing_to_do},
          {"batches", batches},
          {"remaining", counts_json(r.after)}};
}

Status extract(const GlobalOptions& g, const ExtractOpts& o, bool run_all) {
  const char* name = run_all ? "run" : "extract";
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto lock = store::WorkspaceLock::acquire(ws->dir(), name);
  if (!lock) return std::unexpected(lock.error());
  auto cfg = store::load_config(ws->config_path());
  if (!cfg) return std::unexpected(cfg.error());
  if (auto used = train::use_active_model(*ws, *cfg); !used) return std::unexpected(used.error());
  o.ov.apply(cfg->model);

  pipeline::ExtractRequest req;
  req.command = name;
  req.max_batches = run_all ? 0 : (o.batches > 0 ? o.batches : cfg->extract.batches_per_tick);
  req.redo = o.redo;
  req.retry_failed = o.retry_failed;

  SystemProcessRunner runner;
  pipeline::BackendFactory factory = [&]() { return llm::make_backend(cfg->model, runner); };
  std::unique_ptr<util::Progress> bar;
  pipeline::RunnerEvents ev;
  ev.on_warning = [](const std::string& w) { std::fprintf(stderr, "knowthy: warning: %s\n", w.c_str()); };
  // The bar starts once the model is loaded, so its rate and ETA are the batches' alone.
  if (run_all && !o.json && !o.no_progress)
    ev.on_start = [&](std::int64_t batches) {
      bar = std::make_unique<util::Progress>("extract", static_cast<std::uint64_t>(std::max<std::int64_t>(1, batches)),
                                             "batches");
    };
  ev.on_batch = [&](const pipeline::BatchOutcome& b, const pipeline::RunSummary& s) {
    if (!bar) return;
    const double secs = s.model_seconds > 0 ? s.model_seconds : 1;
    char detail[160];
    std::snprintf(detail, sizeof detail, "%lld tweets, %.0f tokens/s%s", static_cast<long long>(s.tweets),
                  static_cast<double>(s.prompt_tokens + s.completion_tokens) / secs,
                  b.status == pipeline::BatchStatus::done ? "" : ", last batch failed");
    bar->set_detail(detail);
    bar->update(static_cast<std::uint64_t>(s.done + s.failed + s.released));
  };
  util::SystemClock clock;
  auto r = pipeline::run_extract(*ws, *cfg, factory, clock, req, ev);
  if (bar) bar->finish();
  if (!r) return std::unexpected(r.error());

  const auto& s = r->summary;
  if (o.json) {
    std::printf("%s\n", result_json(*r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else if (r->nothing_to_do) {
    std::printf("nothing to do: %s\n", o.redo.empty() && !o.retry_failed ? "every tweet is in a done or failed batch"
                                                                         : "no batch to redo or retry");
  } else {
    if (!r->recovered.empty())
      std::printf("recovered %zu batch(es) an interrupted run had started; they were done again\n",
                  r->recovered.size());
    std::printf("%s: %d batch(es) done (%lld tweets), %d failed, %d put back (model unavailable) in %.1f s", name,
                s.done, static_cast<long long>(s.tweets), s.failed, s.released, s.seconds);
    if (s.seconds > 0 && s.tweets > 0)
      std::printf(", %.1f tweets/s, %.0f tokens/s", static_cast<double>(s.tweets) / s.seconds,
                  static_cast<double>(s.prompt_tokens + s.completion_tokens) / s.seconds);
    std::printf("\n");
    for (const auto& b : s.batches)
      if (b.status != pipeline::BatchStatus::done)
        std::printf("  batch %lld %s: %s\n", static_cast<long long>(b.id), pipeline::batch_status_name(b.status),
                    b.error.c_str());
    std::printf("remaining: %lld batch(es), %lld tweets; %lld done, %lld failed in all\n",
                static_cast<long long>(r->after.pending), static_cast<long long>(r->after.tweets_remaining),
                static_cast<long long>(r->after.done), static_cast<long long>(r->after.failed));
    if (r->after.failed > 0 && !o.retry_failed)
      std::printf(
          "failed batches keep their raw answers under runs/; `knowthy extract --retry-failed` tries them again\n");
  }
  if (s.stopped)
    return fail(name, "stopped: " + s.stop_reason,
                "check the model (`knowthy model check`); the batches that did not finish are picked up next time");
  return {};
}

void add_common(CLI::App* cmd, ExtractOpts& o) {
  o.ov.add_to(cmd);
  cmd->add_flag("--json", o.json, "print the summary as JSON");
}

}  // namespace

void register_extract(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto o = std::make_shared<ExtractOpts>();
  auto* ex = app.add_subcommand("extract", "run the next batches of tweets through the draft and critique passes");
  add_common(ex, *o);
  ex->add_option("--batches", o->batches, "batches to process (default: [extract] batches_per_tick)")
      ->check(CLI::Range(1, 1000000));
  ex->add_option("--redo", o->redo, "do these done batches again (by number), and nothing else");
  ex->add_flag("--retry-failed", o->retry_failed, "try the failed batches again, and nothing else");
  ex->callback([&g, &run, o] { run = [&g, o]() -> Status { return extract(g, *o, false); }; });

  auto r = std::make_shared<ExtractOpts>();
  auto* all = app.add_subcommand("run", "extract until every tweet is in a done or failed batch");
  add_common(all, *r);
  all->add_flag("--no-progress", r->no_progress, "no progress bar");
  all->callback([&g, &run, r] { run = [&g, r]() -> Status { return extract(g, *r, true); }; });
}

}  // namespace knowthy::cli
