#include "store/candidates.hpp"

#include <fmt/format.h>

#include <array>

#include "util/text.hpp"

namespace knowthy::store {

namespace {

constexpr std::array<std::string_view, 8> k_states = {"ready",  "training", "awaiting_eval", "train_failed",
                                                      "passed", "failed",   "promoted",      "rolled_back"};

constexpr std::string_view k_columns =
    "id, name, state, created_at, updated_at, trained_at, trainer, parent, base_path, base_sha256, output, "
    "output_kind, reason, owner_pid, owner_start, trainer_pid, trainer_start";

std::optional<std::string> text_or_null(const Stmt& st, int i) {
  if (st.column_is_null(i)) return std::nullopt;
  return st.column_text(i);
}

CandidateRow read_row(const Stmt& st) {
  CandidateRow r;
  r.id = st.column_int(0);
  r.name = st.column_text(1);
  r.state = parse_candidate_state(st.column_text(2)).value_or(CandidateState::failed);
  r.created_at = st.column_text(3);
  r.updated_at = st.column_text(4);
  r.trained_at = text_or_null(st, 5);
  r.trainer = st.column_text(6);
  r.parent = st.column_text(7);
  r.base_path = st.column_text(8);
  r.base_sha256 = st.column_text(9);
  r.output = text_or_null(st, 10);
  r.output_kind = text_or_null(st, 11);
  r.reason = text_or_null(st, 12);
  r.owner = {static_cast<pid_t>(st.column_int(13)), static_cast<std::uint64_t>(st.column_int(14))};
  r.trainer_process = {static_cast<pid_t>(st.column_int(15)), static_cast<std::uint64_t>(st.column_int(16))};
  return r;
}

Result<std::vector<CandidateRow>> select_rows(Db& db, std::string_view where, std::optional<std::int64_t> arg = {}) {
  auto st = db.prepare(fmt::format("SELECT {} FROM models {}", k_columns, where));
  if (!st) return std::unexpected(st.error());
  if (arg) st->bind(1, *arg);
  std::vector<CandidateRow> rows;
  auto s = st->each_row([&] { rows.push_back(read_row(*st)); });
  if (!s) return std::unexpected(s.error());
  return rows;
}

Result<std::optional<CandidateRow>> first(Result<std::vector<CandidateRow>> rows) {
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<CandidateRow>{};
  return std::optional<CandidateRow>{std::move(rows->front())};
}

Status update(Db& db, std::string_view sql, std::int64_t id, std::initializer_list<std::string> texts) {
  auto st = db.prepare(sql);
  if (!st) return std::unexpected(st.error());
  st->bind(1, id);
  int i = 2;
  for (const auto& t : texts) st->bind(i++, t);
  return st->exec();
}

}  // namespace

std::string_view to_string(CandidateState s) { return k_states[static_cast<size_t>(s)]; }

std::optional<CandidateState> parse_candidate_state(std::string_view s) {
  for (size_t i = 0; i < k_states.size(); ++i)
    if (k_states[i] == s) return static_cast<CandidateState>(i);
  return std::nullopt;
}

std::string candidate_name(std::int64_t id) { return fmt::format("cand_{:04d}", id); }

Result<std::vector<CandidateRow>> list_candidates(Db& db) { return select_rows(db, "ORDER BY id"); }

Result<std::optional<CandidateRow>> find_candidate(Db& db, std::int64_t id) {
  return first(select_rows(db, "WHERE id = ?1", id));
}

Result<std::optional<CandidateRow>> blocking_candidate(Db& db) {
  return first(select_rows(db, "WHERE state IN ('training','awaiting_eval') ORDER BY id LIMIT 1"));
}

Result<std::optional<CandidateRow>> last_candidate(Db& db) {
  return first(select_rows(db, "ORDER BY id DESC LIMIT 1"));
}

Result<NewSince> count_new_since(Db& db, std::optional<std::int64_t> last) {
  auto st = db.prepare(R"sql(
WITH covered AS (SELECT batch_id FROM model_batches WHERE model_id = ?1)
SELECT (SELECT COUNT(*) FROM dataset_pairs
        WHERE split = 'train' AND clean = 1 AND batch_id NOT IN covered),
       (SELECT COUNT(*) FROM batches WHERE status = 'done' AND id NOT IN covered))sql");
  if (!st) return std::unexpected(st.error());
  st->bind(1, last.value_or(0));
  if (auto r = st->step(); !r) return std::unexpected(r.error());
  return NewSince{st->column_int(0), st->column_int(1)};
}

Result<std::vector<CoveredBatch>> dataset_coverage(Db& db) {
  auto st = db.prepare(
      "SELECT b.id, CASE WHEN p.clean = 1 THEN p.split ELSE 'flagged' END FROM batches b "
      "JOIN dataset_pairs p ON p.batch_id = b.id WHERE b.status IN ('done','failed') ORDER BY b.id");
  if (!st) return std::unexpected(st.error());
  std::vector<CoveredBatch> out;
  auto s = st->each_row([&] { out.push_back({st->column_int(0), st->column_text(1)}); });
  if (!s) return std::unexpected(s.error());
  return out;
}

Result<std::int64_t> next_candidate_id(Db& db) {
  auto n = db.query_int("SELECT COALESCE(MAX(id), 0) + 1 FROM models");
  if (!n) return std::unexpected(n.error());
  return *n;
}

Status insert_candidate(Db& db, std::int64_t id, const NewCandidate& c, const std::vector<CoveredBatch>& covered) {
  auto tx = Transaction::begin(db);
  if (!tx) return std::unexpected(tx.error());
  auto st = db.prepare(
      "INSERT INTO models (id, name, state, created_at, updated_at, trainer, parent, base_path, base_sha256, "
      "owner_pid, owner_start) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  if (!st) return std::unexpected(st.error());
  const std::string now = util::now_iso();
  st->bind(1, id).bind(2, candidate_name(id)).bind(3, to_string(c.state)).bind(4, now).bind(5, c.trainer);
  st->bind(6, c.parent).bind(7, c.base_path).bind(8, c.base_sha256);
  st->bind(9, static_cast<std::int64_t>(c.owner.pid)).bind(10, static_cast<std::int64_t>(c.owner.start_ticks));
  if (auto s = st->exec(); !s) return s;
  auto cov = db.prepare("INSERT INTO model_batches (model_id, batch_id, split) VALUES (?1, ?2, ?3)");
  if (!cov) return std::unexpected(cov.error());
  for (const auto& b : covered) {
    cov->bind(1, id).bind(2, b.batch_id).bind(3, b.split);
    if (auto s = cov->exec(); !s) return s;
  }
  return tx->commit();
}

Status mark_training(Db& db, std::int64_t id, const util::ProcessId& owner, const util::ProcessId& trainer) {
  auto st = db.prepare(
      "UPDATE models SET state = 'training', updated_at = ?2, owner_pid = ?3, owner_start = ?4, trainer_pid = ?5, "
      "trainer_start = ?6 WHERE id = ?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, id).bind(2, util::now_iso()).bind(3, static_cast<std::int64_t>(owner.pid));
  st->bind(4, static_cast<std::int64_t>(owner.start_ticks)).bind(5, static_cast<std::int64_t>(trainer.pid));
  st->bind(6, static_cast<std::int64_t>(trainer.start_ticks));
  return st->exec();
}

Status mark_trained(Db& db, std::int64_t id, const std::string& output, const std::string& output_kind) {
  return update(db,
                "UPDATE models SET state = 'awaiting_eval', updated_at = ?2, trained_at = ?2, output = ?3, "
                "output_kind = ?4, reason = NULL WHERE id = ?1",
                id, {util::now_iso(), output, output_kind});
}

Status mark_train_failed(Db& db, std::int64_t id, const std::string& reason) {
  return update(db, "UPDATE models SET state = 'train_failed', updated_at = ?2, reason = ?3 WHERE id = ?1", id,
                {util::now_iso(), reason});
}

Status mark_evaluated(Db& db, std::int64_t id, bool passed, const std::string& reason) {
  return update(db,
                "UPDATE models SET state = ?3, updated_at = ?2, evaluated_at = ?2, reason = NULLIF(?4, '') "
                "WHERE id = ?1",
                id, {util::now_iso(), passed ? "passed" : "failed", reason});
}

Result<std::vector<TweetText>> tweets_of_batches(Db& db, const std::vector<std::int64_t>& batch_ids, int limit) {
  // The ids travel as one JSON array, so that the statement is the same for any number of them.
  std::string ids = "[";
  for (size_t i = 0; i < batch_ids.size(); ++i) ids += (i ? "," : "") + std::to_string(batch_ids[i]);
  ids += "]";
  auto st = db.prepare(
      "SELECT t.id, t.text FROM tweets t WHERE t.batch_id IN (SELECT value FROM json_each(?1)) AND t.deleted = 0 "
      "AND t.kind <> 'retweet' AND length(t.text) > 0 ORDER BY t.created_at, t.id LIMIT ?2");
  if (!st) return std::unexpected(st.error());
  st->bind(1, ids).bind(2, limit > 0 ? static_cast<std::int64_t>(limit) : std::int64_t{-1});
  std::vector<TweetText> out;
  while (true) {
    auto r = st->step();
    if (!r) return std::unexpected(r.error());
    if (!*r) break;
    out.push_back({st->column_text(0), st->column_text(1)});
  }
  return out;
}

Result<std::vector<CandidateRow>> promotion_stack(Db& db) {
  auto ids = db.query_ints("SELECT model_id FROM promotions WHERE rolled_back_at IS NULL ORDER BY seq");
  if (!ids) return std::unexpected(ids.error());
  std::vector<CandidateRow> out;
  for (std::int64_t id : *ids) {
    auto row = find_candidate(db, id);
    if (!row) return std::unexpected(row.error());
    if (*row) out.push_back(std::move(**row));
  }
  return out;
}

Status record_promotion(Db& db, std::int64_t id) {
  auto tx = Transaction::begin(db);
  if (!tx) return std::unexpected(tx.error());
  const std::string now = util::now_iso();
  if (auto s = update(db, "INSERT INTO promotions (model_id, promoted_at) VALUES (?1, ?2)", id, {now}); !s) return s;
  if (auto s = update(db, "UPDATE models SET state = 'promoted', promoted_at = ?2, updated_at = ?2 WHERE id = ?1", id,
                      {now});
      !s)
    return s;
  return tx->commit();
}

Status record_rollback(Db& db, std::int64_t id) {
  auto tx = Transaction::begin(db);
  if (!tx) return std::unexpected(tx.error());
  const std::string now = util::now_iso();
  if (auto s = update(db,
                      "UPDATE promotions SET rolled_back_at = ?2 WHERE seq = (SELECT MAX(seq) FROM promotions WHERE "
                      "model_id = ?1 AND rolled_back_at IS NULL)",
                      id, {now});
      !s)
    return s;
  if (auto s = update(db, "UPDATE models SET state = 'rolled_back', updated_at = ?2 WHERE id = ?1", id, {now}); !s)
    return s;
  return tx->commit();
}

}  // namespace knowthy::store
