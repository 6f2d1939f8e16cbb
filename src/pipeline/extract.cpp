#include "pipeline/extract.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "pipeline/artifacts.hpp"
#include "store/runs.hpp"
#include "util/text.hpp"

namespace knowthy::pipeline {

QueueOptions queue_options(const store::Config& cfg) {
  return QueueOptions{cfg.extract.batch_size, cfg.extract.include_retweets};
}

// Tokens added to the measured size of the critique's message: the engine tokenizes the text after
// the draft's answer on its own, which can take a token or two more than the measurement.
constexpr int k_reserve_margin = 16;

Result<Budget> check_budget(llm::ModelBackend& backend, const Prompts& prompts, const std::string& account,
                            const store::Config& cfg) {
  Budget b;
  const std::string file = "knowthy.toml";
  const std::string lower =
      "lower the answer bounds in [extract] (notes_max_chars, max_claims, claim_max_chars, max_evidence, "
      "max_examples, example_prompt_max_chars, example_response_max_chars)";
  auto bound = answer_token_bound(cfg.extract.bounds);
  if (!bound) return std::unexpected(bound.error());
  b.bound = *bound;
  b.per_pass = cfg.extract.max_tokens > 0 ? cfg.extract.max_tokens : b.bound;
  const llm::BackendInfo info = backend.info();
  const bool constrained = info.backend == "llama" || info.backend == "openai";
  if (constrained && cfg.extract.max_tokens > 0 && cfg.extract.max_tokens < b.bound)
    return bad_input(file,
                     fmt::format("[extract] max_tokens = {} is under the answer's worst case of {} tokens, so "
                                 "an answer could be cut off before its JSON closes",
                                 cfg.extract.max_tokens, b.bound),
                     "remove max_tokens (it is then derived), or " + lower);
  b.context = info.context_size;
  const AnswerBounds bounds = cfg.extract.bounds;
  const auto none = draft_messages(prompts, account, answer_schema(bounds, {}), {});
  auto base = backend.count_tokens(none);
  auto with_critique = none;
  with_critique.push_back({"assistant", ""});
  with_critique.push_back(critique_message(prompts, account));
  auto full = backend.count_tokens(with_critique);
  if (b.context <= 0 || !base || !full) return b;
  b.prompt_overhead = *base;
  b.critique_message = std::max(0, *full - *base) + k_reserve_margin;
  // Every tweet line shows at least its id and date ("[id] YYYY-MM-DD: "): 16 tokens is a floor.
  const long long tweets_floor = 16LL * cfg.extract.batch_size;
  if (b.tweets_room() < tweets_floor)
    return bad_input(
        file,
        fmt::format("the answer bounds do not fit [model] context = {} tokens: the prompt without tweets takes {}, "
                    "the draft up to {}, the critique's message {} and the critique up to {} ({} in all), which "
                    "leaves {} for {} tweets ([extract] batch_size) where they need at least {}",
                    b.context, b.prompt_overhead, b.per_pass, b.critique_message, b.per_pass,
                    b.context - b.tweets_room(), std::max(0LL, b.tweets_room()), cfg.extract.batch_size, tweets_floor),
        "raise [model] context (if the model allows it), lower [extract] batch_size, or " + lower);
  return b;
}

namespace {

Result<std::string> account_name(store::Db& db) {
  auto st = db.prepare("SELECT username FROM account LIMIT 1");
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  if (!*row)
    return bad_input("workspace", "no archive has been imported yet", "run `knowthy ingest <your-archive.zip>` first");
  return st->column_text(0);
}

}  // namespace

Status remove_unfinished_folders(store::Workspace& ws) {
  const auto runs = ws.dir() / "runs";
  auto pending = ws.db().query_ints("SELECT id FROM batches WHERE status = 'pending'");
  if (!pending) return std::unexpected(pending.error());
  for (std::int64_t id : *pending)
    if (auto s = remove_batch_dir(runs, id); !s) return s;
  if (auto n = clean_runs_dir(runs); !n) return std::unexpected(n.error());
  return {};
}

Result<ExtractResult> run_extract(store::Workspace& ws, const store::Config& cfg, const BackendFactory& make_backend,
                                  util::Clock& clock, const ExtractRequest& req, RunnerEvents events) {
  ExtractResult r;
  auto account = account_name(ws.db());
  if (!account) return std::unexpected(account.error());
  auto prompts = load_prompts(ws.dir() / "prompts");
  if (!prompts) return std::unexpected(prompts.error());

  BatchQueue queue(ws.db(), queue_options(cfg));
  RunnerOptions opt;
  opt.account = *account;
  opt.max_batches = req.max_batches;
  if (req.time_budget.count() > 0) opt.claim_until = clock.now() + req.time_budget;
  opt.bounds = cfg.extract.bounds;
  opt.max_tokens = cfg.extract.max_tokens;
  opt.temperature = cfg.extract.temperature;
  opt.retries = cfg.extract.retries;
  opt.model_retries = cfg.model.retries;
  opt.retry_backoff_ms = cfg.extract.retry_backoff_ms;
  opt.stop_after_failures = cfg.extract.stop_after_failures;
  opt.stop = req.stop;
  // Batches a dead process left running go back to pending (nothing is lost by that).
  auto running = queue.recover();
  if (!running) return std::unexpected(running.error());
  r.recovered = std::move(*running);
  opt.restrict_to_only = !req.redo.empty() || req.retry_failed;
  auto first = queue.counts();
  if (!first) return std::unexpected(first.error());
  const bool work =
      !req.redo.empty() || (req.retry_failed && first->failed > 0) || (!opt.restrict_to_only && first->pending > 0);

  // The model is loaded, and a configuration that cannot work refused, before a redo or a retry
  // discards what a batch holds.
  std::unique_ptr<llm::ModelBackend> backend;
  if (work) {
    auto made = make_backend();
    if (!made) return std::unexpected(made.error());
    backend = std::move(*made);
    auto budget = check_budget(*backend, *prompts, *account, cfg);
    if (!budget) return std::unexpected(budget.error());
    opt.critique_reserve = budget->critique_message;
  }

  // Redos and retries join the pending batches before the folders of all pending batches are
  // removed: a crash in between leaves nothing that the next run would not clean up the same way.
  for (std::int64_t id : req.redo) {
    if (auto s = queue.redo(id); !s) return std::unexpected(s.error());
    opt.only.push_back(id);
  }
  if (req.retry_failed) {
    auto ids = queue.retry_failed();
    if (!ids) return std::unexpected(ids.error());
    opt.only.insert(opt.only.end(), ids->begin(), ids->end());
  }
  if (auto s = remove_unfinished_folders(ws); !s) return std::unexpected(s.error());

  auto before = queue.counts();
  if (!before) return std::unexpected(before.error());
  r.before = *before;
  if (!backend || (opt.restrict_to_only ? opt.only.empty() : before->pending == 0)) {
    r.nothing_to_do = true;
    r.after = r.before;
    return r;
  }
  if (events.on_start) {
    std::int64_t n = opt.restrict_to_only ? static_cast<std::int64_t>(opt.only.size()) : before->pending;
    if (opt.max_batches > 0) n = std::min<std::int64_t>(n, opt.max_batches);
    events.on_start(n);
  }
  BatchRunner runner(queue, ws.dir() / "runs", *backend, clock, std::move(*prompts), opt, std::move(events));

  if (auto s = store::close_interrupted_runs(ws.db(), false); !s) return std::unexpected(s.error());
  auto run_id = store::begin_run(ws.db(), req.command);
  if (!run_id) return std::unexpected(run_id.error());
  r.run_id = *run_id;

  auto sum = runner.run();
  auto upd = ws.db().prepare(
      "UPDATE runs SET finished_at = ?2, status = ?3, batches_done = ?4, batches_failed = ?5, message = ?6 "
      "WHERE id = ?1");
  if (!upd) return std::unexpected(upd.error());
  upd->bind(1, r.run_id).bind(2, util::now_iso());
  if (sum) {
    upd->bind(3, sum->stopped || sum->cancelled ? "stopped" : "ok")
        .bind(4, sum->done)
        .bind(5, sum->failed + sum->released)
        .bind(6, sum->cancelled && !sum->stopped ? std::string("stopped by a signal") : sum->stop_reason);
  } else {
    upd->bind(3, "failed").bind(4, 0).bind(5, 0).bind(6, sum.error().what + ": " + sum.error().why);
  }
  (void)upd->exec();  // the run's own outcome matters more than its log row
  if (!sum) return std::unexpected(sum.error());
  r.summary = std::move(*sum);
  auto after = queue.counts();
  if (!after) return std::unexpected(after.error());
  r.after = *after;
  return r;
}

}  // namespace knowthy::pipeline
