#pragma once
// Model candidates (models/cand_NNNN): the rows of the `models` table and the counts the train
// gate reads. A candidate covers the batches that were finished when it was made; the gate counts
// what is new since the last candidate.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/db.hpp"
#include "util/supervise.hpp"

namespace knowthy::store {

enum class CandidateState { ready, training, awaiting_eval, train_failed, passed, failed, promoted, rolled_back };

std::string_view to_string(CandidateState s);
std::optional<CandidateState> parse_candidate_state(std::string_view s);

struct CandidateRow {
  std::int64_t id = 0;
  std::string name;  // cand_NNNN
  CandidateState state = CandidateState::ready;
  std::string created_at, updated_at;
  std::optional<std::string> trained_at;
  std::string trainer;  // none | command | llama-opt
  std::string parent;   // base, or the candidate it starts from
  std::string base_path, base_sha256;
  std::optional<std::string> output, output_kind, reason;
  util::ProcessId owner, trainer_process;  // while training (pid 0: none)
};

std::string candidate_name(std::int64_t id);  // cand_0001

Result<std::vector<CandidateRow>> list_candidates(Db& db);
Result<std::optional<CandidateRow>> find_candidate(Db& db, std::int64_t id);
// The candidate that keeps the gate closed: one training or awaiting evaluation.
Result<std::optional<CandidateRow>> blocking_candidate(Db& db);
Result<std::optional<CandidateRow>> last_candidate(Db& db);

struct NewSince {
  std::int64_t clean_train_pairs = 0;  // in the last datasets build, of batches the candidate did not cover
  std::int64_t done_batches = 0;
};
// What is new since candidate `last` (everything when there is none).
Result<NewSince> count_new_since(Db& db, std::optional<std::int64_t> last);

// What each batch's DPO pair is in the last datasets build: train, heldout or flagged.
struct CoveredBatch {
  std::int64_t batch_id = 0;
  std::string split;
};
Result<std::vector<CoveredBatch>> dataset_coverage(Db& db);

struct NewCandidate {
  CandidateState state = CandidateState::ready;
  std::string trainer, parent, base_path, base_sha256;
  util::ProcessId owner;  // state training: this process, which is about to start the trainer
};
// The next id, or the one after the highest id used, reserved without a row (the folder is made
// before the row, so that a row always has its folder).
Result<std::int64_t> next_candidate_id(Db& db);
// Inserts the row and its covered batches in one transaction.
Status insert_candidate(Db& db, std::int64_t id, const NewCandidate& c, const std::vector<CoveredBatch>& covered);

Status mark_training(Db& db, std::int64_t id, const util::ProcessId& owner, const util::ProcessId& trainer);
Status mark_trained(Db& db, std::int64_t id, const std::string& output, const std::string& output_kind);
Status mark_train_failed(Db& db, std::int64_t id, const std::string& reason);
// The evaluation's verdict: passed, or failed with its reason.
Status mark_evaluated(Db& db, std::int64_t id, bool passed, const std::string& reason);

// The person's own words in batches `batch_ids` (retweets and deleted tweets left out), oldest
// first, at most `limit` (0: all): the evaluation's regression check.
struct TweetText {
  std::string id, text;
};
Result<std::vector<TweetText>> tweets_of_batches(Db& db, const std::vector<std::int64_t>& batch_ids, int limit);

// The promotions in force, oldest first: the last is the active model, the one before it what a
// rollback restores (none left: the base model).
Result<std::vector<CandidateRow>> promotion_stack(Db& db);
// Candidate `id` becomes active (state promoted), in one transaction.
Status record_promotion(Db& db, std::int64_t id);
// The active candidate is rolled back (state rolled_back); the one before it is active again.
Status record_rollback(Db& db, std::int64_t id);

}  // namespace knowthy::store
