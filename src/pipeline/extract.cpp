#include "pipeline/extract.hpp"

#include <algorithm>

#include "pipeline/artifacts.hpp"
#include "util/text.hpp"

namespace knowthy::pipeline {

QueueOptions queue_options(const store::Config& cfg) {
  return QueueOptions{cfg.extract.batch_size, cfg.extract.include_retweets};
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
  opt.max_tokens = cfg.extract.max_tokens;
  opt.temperature = cfg.extract.temperature;
  opt.retries = cfg.extract.retries;
  opt.retry_backoff_ms = cfg.extract.retry_backoff_ms;
  opt.stop_after_failures = cfg.extract.stop_after_failures;
  // Batches a dead process left running go back to pending, and redos and retries join them,
  // before the folders of all pending batches are removed: a crash in between leaves nothing
  // that the next run would not clean up the same way.
  auto running = queue.recover();
  if (!running) return std::unexpected(running.error());
  for (std::int64_t id : req.redo) {
    if (auto s = queue.redo(id); !s) return std::unexpected(s.error());
    opt.only.push_back(id);
  }
  if (req.retry_failed) {
    auto ids = queue.retry_failed();
    if (!ids) return std::unexpected(ids.error());
    opt.only.insert(opt.only.end(), ids->begin(), ids->end());
  }
  opt.restrict_to_only = !req.redo.empty() || req.retry_failed;
  if (auto s = remove_unfinished_folders(ws); !s) return std::unexpected(s.error());
  r.recovered = std::move(*running);

  auto before = queue.counts();
  if (!before) return std::unexpected(before.error());
  r.before = *before;
  if (opt.restrict_to_only ? opt.only.empty() : before->pending == 0) {
    r.nothing_to_do = true;
    r.after = r.before;
    return r;
  }

  auto backend = make_backend();
  if (!backend) return std::unexpected(backend.error());
  if (events.on_start) {
    std::int64_t n = opt.restrict_to_only ? static_cast<std::int64_t>(opt.only.size()) : before->pending;
    if (opt.max_batches > 0) n = std::min<std::int64_t>(n, opt.max_batches);
    events.on_start(n);
  }

  auto ins = ws.db().prepare("INSERT INTO runs (command, started_at, status) VALUES (?1, ?2, 'running')");
  if (!ins) return std::unexpected(ins.error());
  ins->bind(1, req.command).bind(2, util::now_iso());
  if (auto s = ins->exec(); !s) return std::unexpected(s.error());
  r.run_id = sqlite3_last_insert_rowid(ws.db().get());

  BatchRunner runner(queue, ws.dir() / "runs", **backend, clock, std::move(*prompts), opt, std::move(events));
  auto sum = runner.run();
  auto upd = ws.db().prepare(
      "UPDATE runs SET finished_at = ?2, status = ?3, batches_done = ?4, batches_failed = ?5, message = ?6 "
      "WHERE id = ?1");
  if (!upd) return std::unexpected(upd.error());
  upd->bind(1, r.run_id).bind(2, util::now_iso());
  if (sum) {
    upd->bind(3, sum->stopped ? "stopped" : "ok")
        .bind(4, sum->done)
        .bind(5, sum->failed + sum->released)
        .bind(6, sum->stop_reason);
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
