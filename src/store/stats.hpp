#pragma once
// What `knowthy report` shows, read from the database: the archive by month and kind, the batches
// by day, the failures by reason, the recent ticks with their steps, the dataset builds and the
// promotions. Aggregated in SQL, so a million tweets cost one indexed pass.
#include <cstdint>
#include <string>
#include <vector>

#include "store/db.hpp"
#include "store/runs.hpp"

namespace knowthy::store {

struct ArchiveTotals {
  std::string username;
  std::int64_t tweets = 0, deleted = 0, likes = 0, notes = 0;
  std::string first, last;  // created_at of the oldest and newest tweet
};
Result<ArchiveTotals> archive_totals(Db& db);

struct MonthKind {
  std::string month;  // "2024-07"
  std::string kind;   // original, reply, self_reply, retweet, quote
  std::int64_t tweets = 0;
};
// Tweets that were not deleted, by month (UTC) and kind, oldest first.
Result<std::vector<MonthKind>> tweets_by_month(Db& db);

struct BatchDay {
  std::string day;  // "2026-11-29", by finished_at
  std::int64_t done = 0, failed = 0, tweets = 0, completion_tokens = 0;
  double model_seconds = 0;
};
Result<std::vector<BatchDay>> batches_by_day(Db& db);

struct FailureReason {
  std::string reason;  // the error, its first 160 characters
  std::int64_t batches = 0;
  std::int64_t last_batch = 0;
};
Result<std::vector<FailureReason>> failure_reasons(Db& db, int limit);

struct TickRecord {
  RunRow run;
  std::vector<RunStep> steps;
};
// The newest `limit` ticks, newest first.
Result<std::vector<TickRecord>> recent_ticks(Db& db, int limit);

struct DatasetBuild {
  std::string created_at;
  std::int64_t dpo_train = 0, dpo_heldout = 0, sft_train = 0, sft_heldout = 0, pairs = 0;
  std::string flagged;  // JSON object: flag -> count
};
// At most `limit` builds, spread evenly from the first to the last (both kept), oldest first.
Result<std::vector<DatasetBuild>> dataset_builds(Db& db, int limit);

struct PromotionRecord {
  std::string name, promoted_at, rolled_back_at;  // rolled_back_at empty while it stands
};
Result<std::vector<PromotionRecord>> promotion_history(Db& db);

}  // namespace knowthy::store
