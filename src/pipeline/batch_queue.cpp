#include "pipeline/batch_queue.hpp"

#include <nlohmann/json.hpp>

#include "util/crash_point.hpp"
#include "util/text.hpp"

namespace knowthy::pipeline {

namespace {

using store::Db;
using store::Stmt;
using store::Transaction;

template <class... Args>
Status exec(Db& db, std::string_view sql, const Args&... args) {
  auto st = db.prepare(sql);
  if (!st) return std::unexpected(st.error());
  int i = 0;
  (st->bind(++i, args), ...);
  return st->exec();
}

// The status link a quote tweet carries among its URLs.
std::string quoted_url(const std::string& urls_json) {
  auto urls = nlohmann::json::parse(urls_json, nullptr, false);
  if (!urls.is_array()) return {};
  for (const auto& u : urls)
    if (u.is_string() && u.get_ref<const std::string&>().find("/status/") != std::string::npos) return u;
  return {};
}

// The queue's partial indexes (schema v2) keep forming a batch independent of how many are done.
const char* queue_sql(bool include_retweets) {
  return include_retweets ? "SELECT id FROM tweets INDEXED BY tweets_queue_all WHERE batch_id IS NULL AND deleted = 0 "
                            "ORDER BY created_at, id LIMIT ?1"
                          : "SELECT id FROM tweets INDEXED BY tweets_queue WHERE batch_id IS NULL AND deleted = 0 "
                            "AND kind <> 'retweet' ORDER BY created_at, id LIMIT ?1";
}

}  // namespace

Result<std::vector<std::int64_t>> BatchQueue::recover() {
  return m_db.query_ints("UPDATE batches SET status = 'pending' WHERE status = 'running' RETURNING id");
}

Result<std::vector<PromptTweet>> BatchQueue::load_tweets(std::int64_t id) {
  // A self-reply carries the own tweet it answers, when the archive has it and it is not deleted.
  auto st = m_db.prepare(R"sql(
SELECT t.id, t.created_at, t.kind, t.text, COALESCE(t.in_reply_to_screen_name, ''), t.urls, COALESCE(p.text, '')
FROM tweets t
LEFT JOIN tweets p ON t.kind = 'self_reply' AND p.id = CAST(t.in_reply_to AS INTEGER) AND p.deleted = 0
WHERE t.batch_id = ?1 AND t.deleted = 0
ORDER BY t.created_at, t.id)sql");
  if (!st) return std::unexpected(st.error());
  st->bind(1, id);
  std::vector<PromptTweet> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    PromptTweet t;
    t.id = std::to_string(static_cast<std::uint64_t>(st->column_int(0)));
    t.created_at = st->column_text(1);
    t.kind = st->column_text(2);
    t.text = st->column_text(3);
    t.reply_to_screen_name = st->column_text(4);
    if (t.kind == "quote") t.quoted_url = quoted_url(st->column_text(5));
    t.parent_text = st->column_text(6);
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::optional<ClaimedBatch>> BatchQueue::claim(const std::vector<std::int64_t>* only,
                                                      const std::set<std::int64_t>* skip) {
  for (;;) {
    auto tx = Transaction::begin(m_db);
    if (!tx) return std::unexpected(tx.error());
    std::optional<std::int64_t> id;
    {
      auto st = m_db.prepare("SELECT id FROM batches WHERE status = 'pending' ORDER BY id");
      if (!st) return std::unexpected(st.error());
      for (;;) {
        auto row = st->step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        const std::int64_t cand = st->column_int(0);
        if ((!only || std::find(only->begin(), only->end(), cand) != only->end()) && !(skip && skip->contains(cand))) {
          id = cand;
          break;
        }
      }
    }
    if (!id && !only) {
      auto sel = m_db.prepare(queue_sql(m_opt.include_retweets));
      if (!sel) return std::unexpected(sel.error());
      sel->bind(1, m_opt.batch_size);
      std::vector<std::int64_t> tweets;
      for (;;) {
        auto row = sel->step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        tweets.push_back(sel->column_int(0));
      }
      if (tweets.empty()) return std::optional<ClaimedBatch>{};
      auto ins = m_db.prepare("INSERT INTO batches (status, tweet_count, created_at) VALUES ('pending', ?1, ?2)");
      if (!ins) return std::unexpected(ins.error());
      ins->bind(1, static_cast<std::int64_t>(tweets.size())).bind(2, util::now_iso());
      if (auto s = ins->exec(); !s) return std::unexpected(s.error());
      id = sqlite3_last_insert_rowid(m_db.get());
      auto upd = m_db.prepare("UPDATE tweets SET batch_id = ?1 WHERE id = ?2");
      if (!upd) return std::unexpected(upd.error());
      for (std::int64_t t : tweets) {
        upd->bind(1, *id).bind(2, t);
        if (auto s = upd->exec(); !s) return std::unexpected(s.error());
      }
    }
    if (!id) return std::optional<ClaimedBatch>{};
    ClaimedBatch b;
    b.id = *id;
    auto tweets = load_tweets(b.id);
    if (!tweets) return std::unexpected(tweets.error());
    b.tweets = std::move(*tweets);
    if (b.tweets.empty()) {
      // Every tweet of this waiting batch was deleted since it was formed (a later export said
      // so): the batch goes away and its deleted tweets leave the queue for good.
      if (auto s = exec(m_db, "UPDATE tweets SET batch_id = NULL WHERE batch_id = ?1", b.id); !s)
        return std::unexpected(s.error());
      if (auto s = exec(m_db, "DELETE FROM batches WHERE id = ?1", b.id); !s) return std::unexpected(s.error());
      if (auto s = tx->commit(); !s) return std::unexpected(s.error());
      continue;
    }
    if (auto s = exec(m_db,
                      "UPDATE batches SET status = 'running', started_at = ?2, attempts = attempts + 1, "
                      "tweet_count = ?3 WHERE id = ?1",
                      b.id, util::now_iso(), static_cast<std::int64_t>(b.tweets.size()));
        !s)
      return std::unexpected(s.error());
    if (auto s = tx->commit(); !s) return std::unexpected(s.error());
    return std::optional<ClaimedBatch>{std::move(b)};
  }
}

Status BatchQueue::mark_done(const DoneBatch& b) {
  auto tx = Transaction::begin(m_db);
  if (!tx) return std::unexpected(tx.error());
  const Extraction& e = *b.critique;
  auto upd = m_db.prepare(R"sql(
UPDATE batches SET status = 'done', finished_at = ?2, error = NULL, draft_session_id = ?3,
  critique_session_id = ?4, prompt_tokens = ?5, completion_tokens = ?6, model_ms = ?7, candidates = ?8,
  examples = ?9, hallucinated_ids = ?10
WHERE id = ?1 AND status = 'running')sql");
  if (!upd) return std::unexpected(upd.error());
  upd->bind(1, b.id)
      .bind(2, util::now_iso())
      .bind(3, b.draft_session_id)
      .bind(4, b.critique_session_id)
      .bind(5, b.prompt_tokens)
      .bind(6, b.completion_tokens)
      .bind(7, b.model_ms)
      .bind(8, static_cast<std::int64_t>(e.candidates.size()))
      .bind(9, static_cast<std::int64_t>(e.examples.size()))
      .bind(10, b.hallucinated_ids);
  if (auto s = upd->exec(); !s) return s;
  if (sqlite3_changes(m_db.get()) != 1)
    return fail("batch " + std::to_string(b.id), "is not running (another process changed it)");
  if (auto s = exec(m_db, "DELETE FROM candidates WHERE batch_id = ?1", b.id); !s) return s;
  if (auto s = exec(m_db, "DELETE FROM examples WHERE batch_id = ?1", b.id); !s) return s;
  // Candidates and examples share the row shape: batch, index, text columns, evidence, flags.
  auto insert_rows = [&](const char* sql, size_t n, auto bind_row) -> Status {
    auto ins = m_db.prepare(sql);
    if (!ins) return std::unexpected(ins.error());
    for (size_t i = 0; i < n; ++i) {
      ins->bind(1, b.id).bind(2, static_cast<std::int64_t>(i));
      bind_row(*ins, i);
      if (auto s = ins->exec(); !s) return s;
    }
    return {};
  };
  auto json_text = [](const std::vector<std::string>& v) { return nlohmann::json(v).dump(); };
  if (auto s =
          insert_rows("INSERT INTO candidates (batch_id, idx, category, claim, evidence_tweet_ids, confidence, flags) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                      e.candidates.size(),
                      [&](Stmt& st, size_t i) {
                        const Candidate& c = e.candidates[i];
                        st.bind(3, c.category)
                            .bind(4, c.claim)
                            .bind(5, json_text(c.evidence_tweet_ids))
                            .bind(6, c.confidence)
                            .bind(7, json_text(c.flags));
                      });
      !s)
    return s;
  if (auto s = insert_rows("INSERT INTO examples (batch_id, idx, prompt, response, evidence_tweet_ids, flags) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           e.examples.size(),
                           [&](Stmt& st, size_t i) {
                             const TrainingExample& x = e.examples[i];
                             st.bind(3, x.prompt)
                                 .bind(4, x.response)
                                 .bind(5, json_text(x.evidence_tweet_ids))
                                 .bind(6, json_text(x.flags));
                           });
      !s)
    return s;
  util::crash_point("commit");
  if (auto s = tx->commit(); !s) return s;
  util::crash_point("committed");
  return {};
}

Status BatchQueue::mark_failed(std::int64_t id, const std::string& error) {
  return exec(m_db, "UPDATE batches SET status = 'failed', finished_at = ?2, error = ?3 WHERE id = ?1", id,
              util::now_iso(), error);
}

Status BatchQueue::release(std::int64_t id, const std::string& error) {
  return exec(m_db, "UPDATE batches SET status = 'pending', error = ?2 WHERE id = ?1 AND status = 'running'", id,
              error);
}

Result<std::vector<std::int64_t>> BatchQueue::retry_failed() {
  auto ids = m_db.query_ints("UPDATE batches SET status = 'pending' WHERE status = 'failed' RETURNING id");
  if (ids) std::sort(ids->begin(), ids->end());
  return ids;
}

Status BatchQueue::redo(std::int64_t id) {
  auto tx = Transaction::begin(m_db);
  if (!tx) return std::unexpected(tx.error());
  auto st = m_db.prepare("SELECT status FROM batches WHERE id = ?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, id);
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  if (!*row)
    return bad_input("batch " + std::to_string(id), "there is no such batch",
                     "`knowthy status` shows how many batches are done");
  st->reset();
  if (auto s = exec(m_db, "DELETE FROM candidates WHERE batch_id = ?1", id); !s) return s;
  if (auto s = exec(m_db, "DELETE FROM examples WHERE batch_id = ?1", id); !s) return s;
  if (auto s = exec(m_db, "UPDATE batches SET status = 'pending', error = NULL WHERE id = ?1", id); !s) return s;
  return tx->commit();
}

Result<BatchCounts> BatchQueue::counts() {
  BatchCounts c;
  auto st = m_db.prepare(R"sql(
SELECT COALESCE(SUM(status = 'done'), 0), COALESCE(SUM(status = 'failed'), 0),
       COALESCE(SUM(status IN ('pending','running')), 0) FROM batches)sql");
  if (!st) return std::unexpected(st.error());
  if (auto r = st->step(); !r) return std::unexpected(r.error());
  c.done = st->column_int(0);
  c.failed = st->column_int(1);
  c.pending = st->column_int(2);
  auto waiting = m_db.query_int(
      "SELECT COUNT(*) FROM tweets t JOIN batches b ON b.id = t.batch_id "
      "WHERE b.status IN ('pending','running') AND t.deleted = 0");
  auto queued = m_db.query_int(
      m_opt.include_retweets
          ? "SELECT COUNT(*) FROM tweets INDEXED BY tweets_queue_all WHERE batch_id IS NULL AND deleted = 0"
          : "SELECT COUNT(*) FROM tweets INDEXED BY tweets_queue WHERE batch_id IS NULL AND deleted = 0 AND kind <> "
            "'retweet'");
  if (!waiting) return std::unexpected(waiting.error());
  if (!queued) return std::unexpected(queued.error());
  c.pending += (*queued + m_opt.batch_size - 1) / m_opt.batch_size;
  c.tweets_remaining = *waiting + *queued;
  return c;
}

}  // namespace knowthy::pipeline
