#include "store/stats.hpp"

namespace knowthy::store {

Result<ArchiveTotals> archive_totals(Db& db) {
  ArchiveTotals t;
  auto st = db.prepare(
      "SELECT (SELECT COALESCE(MAX(username), '') FROM account), "
      "(SELECT COUNT(*) FROM tweets WHERE deleted = 0), (SELECT COUNT(*) FROM tweets WHERE deleted = 1), "
      "(SELECT COUNT(*) FROM likes), (SELECT COUNT(*) FROM notes), "
      "(SELECT COALESCE(MIN(created_at), '') FROM tweets), (SELECT COALESCE(MAX(created_at), '') FROM tweets)");
  if (!st) return std::unexpected(st.error());
  auto r = st->step();
  if (!r) return std::unexpected(r.error());
  t.username = st->column_text(0);
  t.tweets = st->column_int(1);
  t.deleted = st->column_int(2);
  t.likes = st->column_int(3);
  t.notes = st->column_int(4);
  t.first = st->column_text(5);
  t.last = st->column_text(6);
  return t;
}

Result<std::vector<MonthKind>> tweets_by_month(Db& db) {
  // One pass over the table (measured faster than walking tweets_by_time, which visits each row
  // through the index); the groups are few.
  auto st = db.prepare(
      "SELECT substr(created_at, 1, 7), kind, COUNT(*) FROM tweets WHERE deleted = 0 GROUP BY 1, 2 ORDER BY 1, 2");
  if (!st) return std::unexpected(st.error());
  std::vector<MonthKind> out;
  for (;;) {
    auto r = st->step();
    if (!r) return std::unexpected(r.error());
    if (!*r) break;
    out.push_back({st->column_text(0), st->column_text(1), st->column_int(2)});
  }
  return out;
}

Result<std::vector<BatchDay>> batches_by_day(Db& db) {
  auto st = db.prepare(
      "SELECT substr(finished_at, 1, 10), SUM(status = 'done'), SUM(status = 'failed'), "
      "SUM(CASE WHEN status = 'done' THEN tweet_count ELSE 0 END), COALESCE(SUM(completion_tokens), 0), "
      "COALESCE(SUM(model_ms), 0) / 1000.0 FROM batches WHERE status IN ('done', 'failed') AND finished_at IS NOT "
      "NULL GROUP BY 1 ORDER BY 1");
  if (!st) return std::unexpected(st.error());
  std::vector<BatchDay> out;
  for (;;) {
    auto r = st->step();
    if (!r) return std::unexpected(r.error());
    if (!*r) break;
    out.push_back({st->column_text(0), st->column_int(1), st->column_int(2), st->column_int(3), st->column_int(4),
                   st->column_double(5)});
  }
  return out;
}

Result<std::vector<FailureReason>> failure_reasons(Db& db, int limit) {
  auto st = db.prepare(
      "SELECT substr(COALESCE(error, 'no reason recorded'), 1, 160), COUNT(*), MAX(id) FROM batches WHERE status = "
      "'failed' GROUP BY 1 ORDER BY 2 DESC, 3 DESC LIMIT ?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, static_cast<std::int64_t>(limit));
  std::vector<FailureReason> out;
  for (;;) {
    auto r = st->step();
    if (!r) return std::unexpected(r.error());
    if (!*r) break;
    out.push_back({st->column_text(0), st->column_int(1), st->column_int(2)});
  }
  return out;
}

Result<std::vector<TickRecord>> recent_ticks(Db& db, int limit) {
  auto runs = recent_runs(db, "tick", limit);
  if (!runs) return std::unexpected(runs.error());
  std::vector<TickRecord> out;
  for (auto& run : *runs) {
    auto steps = run_steps(db, run.id);
    if (!steps) return std::unexpected(steps.error());
    out.push_back({std::move(run), std::move(*steps)});
  }
  return out;
}

Result<std::vector<DatasetBuild>> dataset_builds(Db& db, int limit) {
  auto n = db.query_ints("SELECT COUNT(*) FROM dataset_builds");
  if (!n) return std::unexpected(n.error());
  const std::int64_t total = n->empty() ? 0 : n->front();
  // Every k-th build (by row number), and always the last.
  const std::int64_t step = limit > 1 && total > limit ? (total - 1 + limit - 2) / (limit - 1) : 1;
  auto st = db.prepare(
      "SELECT created_at, dpo_train, dpo_heldout, sft_train, sft_heldout, pairs, flagged FROM (SELECT *, ROW_NUMBER() "
      "OVER (ORDER BY id) - 1 AS i FROM dataset_builds) WHERE i % ?1 = 0 OR i = ?2 - 1 ORDER BY i");
  if (!st) return std::unexpected(st.error());
  st->bind(1, step).bind(2, total);
  std::vector<DatasetBuild> out;
  for (;;) {
    auto r = st->step();
    if (!r) return std::unexpected(r.error());
    if (!*r) break;
    out.push_back({st->column_text(0), st->column_int(1), st->column_int(2), st->column_int(3), st->column_int(4),
                   st->column_int(5), st->column_text(6)});
  }
  return out;
}

Result<std::vector<PromotionRecord>> promotion_history(Db& db) {
  auto st = db.prepare(
      "SELECT m.name, p.promoted_at, COALESCE(p.rolled_back_at, '') FROM promotions p JOIN models m ON m.id = "
      "p.model_id ORDER BY p.seq");
  if (!st) return std::unexpected(st.error());
  std::vector<PromotionRecord> out;
  for (;;) {
    auto r = st->step();
    if (!r) return std::unexpected(r.error());
    if (!*r) break;
    out.push_back({st->column_text(0), st->column_text(1), st->column_text(2)});
  }
  return out;
}

}  // namespace knowthy::store
