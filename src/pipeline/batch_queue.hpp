#pragma once
// The batches' state in SQLite. A batch is formed from the queue of unprocessed tweets (oldest
// first, no deleted tweets, no retweets unless asked) when it is claimed, so a newer export
// ingested later only adds batches. States: pending -> running -> done | failed.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pipeline/extraction.hpp"
#include "pipeline/prompts.hpp"
#include "store/db.hpp"

namespace knowthy::pipeline {

struct QueueOptions {
  int batch_size = 50;
  bool include_retweets = false;
};

struct ClaimedBatch {
  std::int64_t id = 0;
  std::vector<PromptTweet> tweets;  // oldest first
};

struct BatchCounts {
  std::int64_t done = 0, failed = 0;
  std::int64_t pending = 0;           // batches waiting (formed or still to form from the queue)
  std::int64_t tweets_remaining = 0;  // tweets not yet in a done or failed batch
};

// What a done batch leaves in the database; its files are published before this is committed.
struct DoneBatch {
  std::int64_t id = 0;
  std::string draft_session_id, critique_session_id;
  std::int64_t prompt_tokens = 0, completion_tokens = 0;
  double model_ms = 0;
  const Extraction* critique = nullptr;
  std::int64_t hallucinated_ids = 0;
};

class BatchQueue {
 public:
  BatchQueue(store::Db& db, QueueOptions opt) : m_db(db), m_opt(opt) {}

  // Batches left `running` by a process that died go back to `pending`; returns their ids.
  Result<std::vector<std::int64_t>> recover();

  // Marks the next batch running and returns it: the oldest pending batch not in `skip` (and in
  // `only` when given), else a new batch from the queue (never when `only` is given). nullopt: none.
  Result<std::optional<ClaimedBatch>> claim(const std::vector<std::int64_t>* only = nullptr,
                                            const std::set<std::int64_t>* skip = nullptr);

  Status mark_done(const DoneBatch& b);
  Status mark_failed(std::int64_t id, const std::string& error);
  // Back to pending: the model could not be reached, which is no fault of the batch.
  Status release(std::int64_t id, const std::string& error);

  // Failed batches go back to pending; returns their ids.
  Result<std::vector<std::int64_t>> retry_failed();
  // A done (or failed) batch goes back to pending with its candidates removed.
  Status redo(std::int64_t id);

  Result<BatchCounts> counts();

 private:
  Result<std::vector<PromptTweet>> load_tweets(std::int64_t id);
  store::Db& m_db;
  QueueOptions m_opt;
};

}  // namespace knowthy::pipeline
