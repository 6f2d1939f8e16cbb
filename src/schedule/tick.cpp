#include "schedule/tick.hpp"

#include <fmt/format.h>

#include <chrono>
#include <exception>

#include "eval/eval.hpp"
#include "knowledge/datasets.hpp"
#include "knowledge/insights.hpp"
#include "knowledge/profile_store.hpp"
#include "llm/factory.hpp"
#include "pipeline/extract.hpp"
#include "pipeline/health.hpp"
#include "store/candidates.hpp"
#include "store/runs.hpp"
#include "train/promote.hpp"
#include "train/train.hpp"
#include "util/fs.hpp"
#include "util/progress.hpp"
#include "util/text.hpp"

namespace knowthy::schedule {

using nlohmann::json;

std::string_view to_string(StepStatus s) {
  switch (s) {
    case StepStatus::ok: return "ok";
    case StepStatus::skipped: return "skipped";
    case StepStatus::failed: return "failed";
  }
  return "?";
}

bool TickReport::failed() const {
  for (const auto& s : steps)
    if (s.status == StepStatus::failed) return true;
  return false;
}

std::string_view TickReport::status() const { return failed() ? "failed" : stopped ? "stopped" : "ok"; }

json TickReport::to_json() const {
  json list = json::array();
  for (const auto& s : steps)
    list.push_back({{"step", s.name}, {"status", to_string(s.status)}, {"detail", s.detail}, {"seconds", s.seconds}});
  return {{"run_id", run_id}, {"status", status()}, {"steps", list}};
}

namespace {

struct Outcome {
  StepStatus status = StepStatus::ok;
  std::string detail;
};
Outcome ok(std::string d) { return {StepStatus::ok, std::move(d)}; }
Outcome skipped(std::string d) { return {StepStatus::skipped, std::move(d)}; }
Outcome failed(std::string d) { return {StepStatus::failed, std::move(d)}; }

// Runs one step: its error or exception becomes a failed step, never the tick's.
template <class F>
StepResult run_step(const char* name, F&& f) {
  StepResult r;
  r.name = name;
  r.started_at = util::now_iso();
  const auto t0 = std::chrono::steady_clock::now();
  try {
    Result<Outcome> o = f();
    if (o) {
      r.status = o->status;
      r.detail = std::move(o->detail);
    } else {
      r.status = StepStatus::failed;
      r.detail = format_error(o.error());
    }
  } catch (const std::exception& e) {
    r.status = StepStatus::failed;
    r.detail = std::string("unexpected error: ") + e.what();
  } catch (...) {
    r.status = StepStatus::failed;
    r.detail = "unexpected error";
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

Result<Outcome> extract_step(LoopContext& c) {
  store::Config cfg = c.cfg;
  if (auto used = train::use_active_model(c.ws, cfg); !used) return std::unexpected(used.error());
  pipeline::ExtractRequest req;
  req.command = "tick:extract";
  req.max_batches = cfg.extract.batches_per_tick;
  req.time_budget = std::chrono::milliseconds(static_cast<long long>(cfg.extract.minutes_per_tick * 60000));
  req.stop = c.stop;
  pipeline::BackendFactory factory = [&]() { return llm::make_backend(cfg.model, c.runner); };
  std::optional<util::Progress> bar;
  pipeline::RunnerEvents ev;
  if (c.progress)
    ev.on_start = [&](std::int64_t batches) {
      bar.emplace("extract", static_cast<std::uint64_t>(std::max<std::int64_t>(1, batches)), "batches");
    };
  ev.on_batch = [&](const pipeline::BatchOutcome& o, const pipeline::RunSummary& s) {
    if (bar) bar->update(static_cast<std::uint64_t>(s.done + s.failed + s.released));
    if (c.on_event)
      c.on_event({{"event", "batch"},
                  {"batch", o.id},
                  {"status", pipeline::batch_status_name(o.status)},
                  {"tweets", o.tweets},
                  {"prompt_tokens", o.prompt_tokens},
                  {"completion_tokens", o.completion_tokens},
                  {"error", o.error}});
  };
  auto r = pipeline::run_extract(c.ws, cfg, factory, c.clock, req, ev);
  if (bar) bar->finish();
  if (!r) return std::unexpected(r.error());
  if (r->nothing_to_do) return skipped("every tweet is in a done or failed batch");
  const auto& s = r->summary;
  std::string d = fmt::format("{} batch(es) done ({} tweets), {} failed, {} put back; {} tweets left", s.done, s.tweets,
                              s.failed, s.released, r->after.tweets_remaining);
  if (s.out_of_time) d += fmt::format(" ([extract] minutes_per_tick, {}, reached)", cfg.extract.minutes_per_tick);
  if (s.cancelled) d += " (stopped by a signal)";
  if (s.stopped) return failed(d + ": " + s.stop_reason);
  return ok(d);
}

}  // namespace

Result<TickReport> run_tick(LoopContext& c) {
  store::Db& db = c.ws.db();
  TickReport rep;
  // What a killed tick (or extract) left 'running' is closed first: this process holds the lock.
  if (auto st = store::close_interrupted_runs(db, true); !st) return std::unexpected(st.error());
  auto id = store::begin_run(db, "tick");
  if (!id) return std::unexpected(id.error());
  rep.run_id = *id;
  // And the temp files of its interrupted atomic writes (batch folders hold none: not entered).
  util::remove_temp_files(c.ws.dir(),
                          [](const std::filesystem::path& d) { return d.filename().string().starts_with("batch_"); });
  auto stopping = [&] { return c.stop && c.stop->load(); };
  auto step = [&](const char* name, auto&& f) {
    if (stopping()) {
      rep.stopped = true;
      rep.steps.push_back({.name = name,
                           .status = StepStatus::skipped,
                           .detail = "stopping: a signal came",
                           .started_at = util::now_iso(),
                           .seconds = 0});
    } else {
      rep.steps.push_back(run_step(name, f));
    }
    return rep.steps.back().status;
  };

  step("extract", [&] { return extract_step(c); });
  step("consolidate", [&]() -> Result<Outcome> {
    auto r = knowledge::run_consolidate(c.ws, c.cfg);
    if (!r) return std::unexpected(r.error());
    if (r->version == 0) return skipped("no done batch yet");
    if (!r->changed) return ok(fmt::format("profile v{} unchanged ({} entries)", r->version, r->entries));
    return ok(fmt::format("profile v{}: {} entries (+{} -{} ~{})", r->version, r->entries, r->added, r->dropped,
                          r->modified));
  });
  step("datasets", [&]() -> Result<Outcome> {
    auto r = knowledge::run_datasets(c.ws, c.cfg, knowledge::DpoFormat::conversational);
    if (!r) return std::unexpected(r.error());
    return ok(fmt::format("{} DPO pairs for training, {} held out, {} flagged; {} SFT examples", r->dpo_train,
                          r->dpo_heldout, r->dpo_flagged, r->sft_train + r->sft_heldout));
  });
  step("health", [&]() -> Result<Outcome> {
    // The tick holds the lock: the checks must not wait for, or blame, a loop run in progress.
    auto r = pipeline::check_health(c.ws, c.cfg, {.now = c.now, .loop_may_run = false, .probe = {}});
    if (!r) return std::unexpected(r.error());
    if (auto s = pipeline::write_health(c.ws, *r); !s) return std::unexpected(s.error());
    std::string worst;
    for (const auto& k : r->checks)
      if (k.status == r->overall() && k.status != pipeline::CheckStatus::ok)
        worst += (worst.empty() ? "" : "; ") + k.name + ": " + k.reason;
    const std::string overall = pipeline::check_status_name(r->overall());
    if (r->overall() == pipeline::CheckStatus::fail) return failed("health: fail: " + worst);
    return ok(worst.empty() ? "health: " + overall : "health: " + overall + ": " + worst);
  });
  step("train", [&]() -> Result<Outcome> {
    auto r = train::run_train(c.ws, c.cfg,
                              {.force = false,
                               .rebuild_datasets = false,  // the datasets step just built them
                               .knowthy_version = c.knowthy_version,
                               .self_exe = c.self_exe,
                               .progress = false});
    if (!r) return std::unexpected(r.error());
    if (!r->opened) return skipped("gate closed: " + r->closed_reason);
    const auto& cand = *r->candidate;
    if (cand.state == store::CandidateState::train_failed)
      return failed(cand.name + " train_failed: " + cand.reason.value_or("?"));
    return ok(fmt::format("{}: {}", cand.name, store::to_string(cand.state)));
  });
  // The eval gate: the candidate awaiting evaluation, if any.
  std::optional<std::string> passed_now;
  const StepStatus eval_status = step("eval", [&]() -> Result<Outcome> {
    auto r = eval::run_eval(c.ws, c.cfg, {.candidate = std::nullopt, .self_exe = c.self_exe, .progress = false});
    if (!r) return std::unexpected(r.error());
    if (!r->evaluated) return skipped(r->nothing_reason);
    const std::string name = r->candidate->name;
    if (r->broken) return failed(name + ": the evaluation failed: " + r->reasons.front());
    if (r->passed) {
      passed_now = name;
      return ok(name + ": passed");
    }
    return ok(name + ": failed: " + r->reasons.front());
  });
  // The promote gate: only what passed, never over a failed evaluation, never an older candidate
  // over a newer active one.
  step("promote", [&]() -> Result<Outcome> {
    if (auto s = train::sync_active_json(c.ws, c.cfg); !s) return std::unexpected(s.error());
    if (eval_status == StepStatus::failed) return skipped("the eval step failed");
    if (!c.cfg.promote.automatic) return skipped("[promote] automatic = false: `knowthy promote` promotes by hand");
    auto rows = store::list_candidates(db);
    if (!rows) return std::unexpected(rows.error());
    auto active = train::active_model(c.ws, c.cfg);
    if (!active) return std::unexpected(active.error());
    std::optional<store::CandidateRow> pick;
    std::int64_t active_id = 0;
    for (const auto& row : *rows)
      if (row.name == active->name) active_id = row.id;
    for (const auto& row : *rows)
      if (row.state == store::CandidateState::passed && row.id > active_id) pick = row;
    if (!pick) return skipped("no passed candidate newer than the active model (" + active->name + ")");
    auto p = train::promote(c.ws, c.cfg, pick->id);
    if (!p) return std::unexpected(p.error());
    return ok(pick->name + " is the active model; rollback would restore " + p->active.rollback_to);
  });
  // The report of the ISO week just ended, once: on Monday, or the first tick after it.
  step("insights", [&]() -> Result<Outcome> {
    knowledge::InsightsOptions o;
    o.now = c.now;
    if (c.cfg.insights.model_summary) {
      store::Config cfg = c.cfg;
      if (auto used = train::use_active_model(c.ws, cfg); !used) return std::unexpected(used.error());
      o.summarize = knowledge::model_summarizer(cfg, c.runner);
    }
    // The week ends at Monday midnight on the schedule's clock (local time or UTC).
    const knowledge::IsoWeek week = c.cfg.schedule.zone == "local" ? knowledge::previous_local_iso_week(c.now)
                                                                   : knowledge::previous_iso_week(c.now);
    auto r = knowledge::write_insights(c.ws, week, o);
    if (!r) return std::unexpected(r.error());
    if (!r->written) return skipped(week.label() + " already written");
    return ok(week.label() + " written: " + r->path);
  });

  for (size_t i = 0; i < rep.steps.size(); ++i) {
    const auto& s = rep.steps[i];
    if (auto st = store::record_step(db, rep.run_id, static_cast<int>(i),
                                     {.step = s.name,
                                      .status = std::string(to_string(s.status)),
                                      .detail = s.detail,
                                      .started_at = s.started_at,
                                      .seconds = s.seconds});
        !st)
      return std::unexpected(st.error());
  }
  std::string message;
  for (const auto& s : rep.steps)
    if (s.status == StepStatus::failed) message += (message.empty() ? "" : "; ") + s.name + ": " + s.detail;
  if (stopping()) rep.stopped = true;
  if (rep.stopped) message += (message.empty() ? "" : "; ") + std::string("stopped by a signal");
  if (auto st = store::finish_run(db, rep.run_id, std::string(rep.status()), message); !st)
    return std::unexpected(st.error());
  return rep;
}

}  // namespace knowthy::schedule
