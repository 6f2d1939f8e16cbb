#pragma once
// Runs batches through the two passes: a draft, then a critique that continues the draft's
// conversation (the embedded engine reuses its KV cache). Up to the backend's `parallel` batches
// are in flight, their requests sent together. Each finished batch is published (files, then one
// database transaction) before the next is reported, so a crash at any point loses at most the
// batches in flight, which the next run redoes.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "llm/backend.hpp"
#include "pipeline/batch_queue.hpp"
#include "pipeline/extraction.hpp"
#include "pipeline/prompts.hpp"
#include "util/clock.hpp"

namespace knowthy::pipeline {

struct RunnerOptions {
  std::string account;  // the archive's username, for the prompts
  int max_batches = 0;  // batches to claim; 0: until the queue is empty
  // No batch is claimed after this (by the runner's clock); those in flight finish. Unset: none.
  std::optional<std::chrono::steady_clock::time_point> claim_until;
  // Once set (by a signal), no batch is claimed and none starts another attempt: those in a model
  // call finish and commit, those waiting out a backoff go back to pending.
  const std::atomic<bool>* stop = nullptr;
  AnswerBounds bounds;
  int max_tokens = 0;  // per pass; 0: the batch schema's worst case, so a constrained answer closes
  double temperature = 0.0;
  int retries = 2;        // new attempts of a pass whose answer did not parse
  int model_retries = 4;  // model errors a retry can fix (server down, time-out): then released
  int retry_backoff_ms = 2000;
  int critique_reserve = 0;  // tokens the critique's message adds beyond the draft's conversation
  int stop_after_failures = 3;
  std::vector<std::int64_t> only;  // when set, only these batches (--redo, --retry-failed)
  bool restrict_to_only = false;
};

enum class BatchStatus { done, failed, released };
const char* batch_status_name(BatchStatus s);

struct BatchOutcome {
  std::int64_t id = 0;
  BatchStatus status = BatchStatus::done;
  int tweets = 0;
  int candidates = 0;
  int hallucinated_ids = 0;
  std::int64_t prompt_tokens = 0, completion_tokens = 0;
  std::string error;
};

struct RunSummary {
  int done = 0, failed = 0, released = 0;
  std::int64_t tweets = 0;  // in done batches
  std::int64_t prompt_tokens = 0, completion_tokens = 0;
  double seconds = 0;
  double model_seconds = 0;  // inside backend.generate()
  bool stopped = false;      // stop_after_failures was reached
  bool out_of_time = false;  // claim_until came before the queue or max_batches ran out
  bool cancelled = false;    // `stop` was set
  std::string stop_reason;
  std::vector<BatchOutcome> batches;
};

struct RunnerEvents {
  std::function<void(std::int64_t batches)> on_start;  // the model is loaded; about this many batches will run
  std::function<void(const BatchOutcome&, const RunSummary&)> on_batch;
  std::function<void(const std::string&)> on_warning;  // at most once per kind of problem per run
};

// The conversation that starts a batch: the draft system and user prompts, rendered; `schema` is
// what {{schema}} shows (the answer's shape).
std::vector<llm::Message> draft_messages(const Prompts& prompts, const std::string& account, const std::string& schema,
                                         const std::vector<PromptTweet>& tweets);
// The critique pass's message, which follows the draft's answer.
llm::Message critique_message(const Prompts& prompts, const std::string& account);

class BatchRunner {
 public:
  BatchRunner(BatchQueue& queue, std::filesystem::path runs_dir, llm::ModelBackend& backend, util::Clock& clock,
              Prompts prompts, RunnerOptions opt, RunnerEvents events = {});
  // Errors are the run's own (the database or the disk failing); model failures are outcomes.
  Result<RunSummary> run();

  // The conversation that starts a batch: the rendered draft system and user prompts.
  std::vector<llm::Message> draft_messages(const std::vector<PromptTweet>& tweets) const;
  // The critique pass's message, which follows the draft's answer.
  llm::Message critique_message() const;

 private:
  struct Job;
  Status finish_done(Job& job, RunSummary& sum);
  Status finish_failed(Job& job, RunSummary& sum);
  Status finish_released(Job& job, RunSummary& sum);
  void record(const BatchOutcome& o, RunSummary& sum, bool failure);

  BatchQueue& m_queue;
  std::filesystem::path m_runs;
  llm::ModelBackend& m_backend;
  util::Clock& m_clock;
  Prompts m_prompts;
  RunnerOptions m_opt;
  RunnerEvents m_events;
  std::string m_schema;
  int m_consecutive_failures = 0;
  std::set<std::int64_t> m_released;  // put back in this run: not claimed again until the next
  bool m_warned_model = false, m_warned_parse = false;
};

}  // namespace knowthy::pipeline
