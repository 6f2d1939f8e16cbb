#include "pipeline/batch_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "llm/grammar.hpp"
#include "pipeline/artifacts.hpp"
#include "util/crash_point.hpp"
#include "util/text.hpp"

namespace knowthy::pipeline {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

enum class Pass { draft, critique };
const char* pass_name(Pass p) { return p == Pass::draft ? "draft" : "critique"; }

// Model text can hold invalid UTF-8; JSON output replaces it rather than failing the batch.
std::string dump(const json& j, int indent = -1) { return j.dump(indent, ' ', false, json::error_handler_t::replace); }

std::string describe(const Error& e) { return e.why.empty() ? e.what : e.what + ": " + e.why; }

json tokens_json(const llm::Completion& c) {
  return {{"prompt", c.prompt_tokens},
          {"prompt_evaluated", c.prompt_tokens_evaluated},
          {"completion", c.completion_tokens}};
}

json timings_json(const llm::Completion& c) { return {{"prompt_ms", c.prompt_ms}, {"generation_ms", c.generation_ms}}; }

json tweet_ids_json(const std::vector<PromptTweet>& tweets) {
  json ids = json::array();
  for (const auto& t : tweets) ids.push_back(t.id);
  return ids;
}

json messages_json(const std::vector<llm::Message>& messages) {
  json out = json::array();
  for (const auto& m : messages) out.push_back({{"role", m.role}, {"content", m.content}});
  return out;
}

}  // namespace

const char* batch_status_name(BatchStatus s) {
  switch (s) {
    case BatchStatus::done: return "done";
    case BatchStatus::failed: return "failed";
    case BatchStatus::released: return "released";
  }
  return "?";
}

struct BatchRunner::Job {
  ClaimedBatch batch;
  std::set<std::string> ids;
  std::string schema;  // this batch's: its tweet ids are the only evidence a constrained model can cite
  int max_tokens = 0;
  std::vector<llm::Message> prompt;
  Pass pass = Pass::draft;
  int attempt = 0;       // of the current pass: answers that did not parse
  int model_errors = 0;  // in a row, on the current attempt
  util::Clock::time_point ready_at{};
  SteadyClock::time_point started;
  llm::Completion draft, critique;
  Extraction draft_x, critique_x;
  NormalizationReport draft_rep, critique_rep;
  std::string draft_raw, critique_raw;  // the last answer of each pass, parsed or not
  json attempts = json::array();
  std::string error;
  double model_ms = 0;
};

BatchRunner::BatchRunner(BatchQueue& queue, std::filesystem::path runs_dir, llm::ModelBackend& backend,
                         util::Clock& clock, Prompts prompts, RunnerOptions opt, RunnerEvents events)
    : m_queue(queue),
      m_runs(std::move(runs_dir)),
      m_backend(backend),
      m_clock(clock),
      m_prompts(std::move(prompts)),
      m_opt(std::move(opt)),
      m_events(std::move(events)),
      m_schema(answer_schema(m_opt.bounds, {})) {}

std::vector<llm::Message> draft_messages(const Prompts& prompts, const std::string& account, const std::string& schema,
                                         const std::vector<PromptTweet>& tweets) {
  const std::map<std::string, std::string> vars{{"account", account},
                                                {"count", std::to_string(tweets.size())},
                                                {"tweets", format_tweets(tweets)},
                                                {"schema", schema}};
  return {{"system", render_template(prompts.draft_system, vars)}, {"user", render_template(prompts.draft_user, vars)}};
}

llm::Message critique_message(const Prompts& prompts, const std::string& account) {
  return {"user", render_template(prompts.critique_user, {{"account", account}})};
}

std::vector<llm::Message> BatchRunner::draft_messages(const std::vector<PromptTweet>& tweets) const {
  return pipeline::draft_messages(m_prompts, m_opt.account, m_schema, tweets);
}

llm::Message BatchRunner::critique_message() const { return pipeline::critique_message(m_prompts, m_opt.account); }

void BatchRunner::record(const BatchOutcome& o, RunSummary& sum, bool failure) {
  m_consecutive_failures = failure ? m_consecutive_failures + 1 : 0;
  sum.batches.push_back(o);
  if (m_events.on_batch) m_events.on_batch(o, sum);
}

Status BatchRunner::finish_done(Job& j, RunSummary& sum) {
  const std::int64_t id = j.batch.id;
  const json tweet_ids = tweet_ids_json(j.batch.tweets), prompt = messages_json(j.prompt);
  const llm::BackendInfo info = m_backend.info();
  json critique_norm = j.critique_rep.to_json();
  critique_norm["draft"] = j.draft_rep.to_json();
  json rubric = json::object(), draft_rubric = json::object();
  for (const auto& [k, v] : j.critique_x.rubric_scores) rubric[k] = v;
  for (const auto& [k, v] : j.draft_x.rubric_scores) draft_rubric[k] = v;
  const std::int64_t prompt_tokens = j.draft.prompt_tokens_evaluated + j.critique.prompt_tokens_evaluated;
  const std::int64_t completion_tokens = j.draft.completion_tokens + j.critique.completion_tokens;
  const double wall_ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - j.started).count();
  const json batch{{"batch_id", id},
                   {"status", "done"},
                   {"tweet_ids", tweet_ids},
                   {"account", m_opt.account},
                   {"model", {{"backend", info.backend}, {"model", info.model}}},
                   {"prompt", prompt},
                   {"chosen", dump(to_json(j.critique_x))},
                   {"rejected", dump(to_json(j.draft_x))},
                   {"draft_session_id", j.draft.session},
                   {"critique_session_id", j.critique.session},
                   {"tokens",
                    {{"draft", tokens_json(j.draft)},
                     {"critique", tokens_json(j.critique)},
                     {"prompt_evaluated", prompt_tokens},
                     {"completion", completion_tokens}}},
                   {"timings",
                    {{"draft", timings_json(j.draft)},
                     {"critique", timings_json(j.critique)},
                     {"model_ms", j.model_ms},
                     {"wall_ms", wall_ms}}},
                   {"max_tokens", j.max_tokens},
                   {"answer_bounds", to_json(m_opt.bounds)},
                   {"rubric_scores", rubric},
                   {"draft_rubric_scores", draft_rubric},
                   {"normalization", critique_norm},
                   {"attempts", j.attempts},
                   {"prompts_overridden", m_prompts.overridden},
                   {"finished_at", util::now_iso()}};
  json cands = json::array();
  for (const auto& c : j.critique_x.candidates) cands.push_back(to_json(c));
  std::string training;
  for (const auto& x : j.critique_x.examples) {
    // Key order as chat datasets write it (role before content).
    using ojson = nlohmann::ordered_json;
    training += ojson{{"messages", ojson::array({{{"role", "user"}, {"content", x.prompt}},
                                                 {{"role", "assistant"}, {"content", x.response}}})},
                      {"meta", {{"batch_id", id}, {"evidence_tweet_ids", x.evidence_tweet_ids}, {"flags", x.flags}}}}
                    .dump(-1, ' ', false, ojson::error_handler_t::replace);
    training += '\n';
  }
  std::string notes =
      j.critique_x.notes_markdown.empty() ? "(the critique wrote no notes)" : j.critique_x.notes_markdown;
  notes += '\n';
  const FileList files{{"draft.txt", j.draft.text},  {"critique.txt", j.critique.text},
                       {"notes.md", notes},          {"candidates.json", dump(cands, 2) + "\n"},
                       {"training.jsonl", training}, {"batch.json", dump(batch, 2) + "\n"}};
  if (auto s = publish_batch_dir(m_runs, id, files); !s) return s;
  util::crash_point("published");
  DoneBatch d;
  d.id = id;
  d.draft_session_id = j.draft.session;
  d.critique_session_id = j.critique.session;
  d.prompt_tokens = prompt_tokens;
  d.completion_tokens = completion_tokens;
  d.model_ms = j.model_ms;
  d.critique = &j.critique_x;
  d.hallucinated_ids = static_cast<std::int64_t>(j.critique_rep.hallucinated_ids.size());
  if (auto s = m_queue.mark_done(d); !s) return s;

  BatchOutcome o;
  o.id = id;
  o.status = BatchStatus::done;
  o.tweets = static_cast<int>(j.batch.tweets.size());
  o.candidates = static_cast<int>(j.critique_x.candidates.size());
  o.hallucinated_ids = static_cast<int>(d.hallucinated_ids);
  o.prompt_tokens = prompt_tokens;
  o.completion_tokens = completion_tokens;
  ++sum.done;
  sum.tweets += o.tweets;
  sum.prompt_tokens += prompt_tokens;
  sum.completion_tokens += completion_tokens;
  record(o, sum, false);
  return {};
}

Status BatchRunner::finish_failed(Job& j, RunSummary& sum) {
  const std::int64_t id = j.batch.id;
  const json tweet_ids = tweet_ids_json(j.batch.tweets), prompt = messages_json(j.prompt);
  const json batch{{"batch_id", id},
                   {"status", "failed"},
                   {"error", j.error},
                   {"tweet_ids", tweet_ids},
                   {"account", m_opt.account},
                   {"prompt", prompt},
                   {"draft_session_id", j.draft.session},
                   {"critique_session_id", j.critique.session},
                   {"attempts", j.attempts},
                   {"finished_at", util::now_iso()}};
  // The raw outputs are kept, so a person can see what the model answered.
  const FileList files{
      {"draft.txt", j.draft_raw}, {"critique.txt", j.critique_raw}, {"batch.json", dump(batch, 2) + "\n"}};
  if (auto s = publish_batch_dir(m_runs, id, files); !s) return s;
  if (auto s = m_queue.mark_failed(id, j.error); !s) return s;
  BatchOutcome o;
  o.id = id;
  o.status = BatchStatus::failed;
  o.tweets = static_cast<int>(j.batch.tweets.size());
  o.error = j.error;
  ++sum.failed;
  record(o, sum, true);
  return {};
}

Status BatchRunner::finish_released(Job& j, RunSummary& sum) {
  if (auto s = m_queue.release(j.batch.id, j.error); !s) return s;
  m_released.insert(j.batch.id);
  BatchOutcome o;
  o.id = j.batch.id;
  o.status = BatchStatus::released;
  o.tweets = static_cast<int>(j.batch.tweets.size());
  o.error = j.error;
  ++sum.released;
  record(o, sum, true);
  return {};
}

Result<RunSummary> BatchRunner::run() {
  RunSummary sum;
  const auto t0 = SteadyClock::now();
  const int parallel = std::max(1, m_backend.info().parallel);
  std::vector<std::unique_ptr<Job>> active;
  int claimed = 0;
  bool exhausted = false, stopping = false;
  // Jobs still in flight when the run ends early go back to pending for the next run.
  auto release_active = [&](const std::string& why) {
    for (auto& j : active) (void)m_queue.release(j->batch.id, why);
    active.clear();
  };

  for (;;) {
    while (!stopping && !exhausted && static_cast<int>(active.size()) < parallel &&
           (m_opt.max_batches <= 0 || claimed < m_opt.max_batches)) {
      if (m_opt.stop && m_opt.stop->load()) {
        sum.cancelled = true;
        break;
      }
      if (m_opt.claim_until && m_clock.now() >= *m_opt.claim_until) {
        sum.out_of_time = true;
        break;
      }
      auto c = m_queue.claim(m_opt.restrict_to_only ? &m_opt.only : nullptr, &m_released);
      if (!c) {
        release_active("the run stopped on an error");
        return std::unexpected(c.error());
      }
      if (!*c) {
        exhausted = true;
        break;
      }
      ++claimed;
      util::crash_point("claimed");
      auto j = std::make_unique<Job>();
      j->batch = std::move(**c);
      for (const auto& t : j->batch.tweets) j->ids.insert(t.id);
      j->prompt = draft_messages(j->batch.tweets);
      std::vector<std::string> ids;
      for (const auto& t : j->batch.tweets) ids.push_back(t.id);
      j->schema = answer_schema(m_opt.bounds, ids);
      j->max_tokens = m_opt.max_tokens;
      if (j->max_tokens <= 0) {
        auto bound = llm::schema_max_tokens(j->schema);
        if (!bound) {
          (void)m_queue.release(j->batch.id, "the answer schema has no bound");
          release_active("the run stopped on an error");
          return std::unexpected(bound.error());
        }
        j->max_tokens = *bound;
      }
      j->started = SteadyClock::now();
      j->ready_at = m_clock.now();
      active.push_back(std::move(j));
    }
    if (m_opt.stop && m_opt.stop->load()) {
      sum.cancelled = true;
      // Stopping: the batches in flight go on to their commit, but one waiting out a model
      // error's backoff goes back to pending.
      const auto now = m_clock.now();
      std::erase_if(active, [&](const auto& j) {
        if (j->ready_at <= now) return false;
        (void)m_queue.release(j->batch.id, "the run was stopped by a signal");
        ++sum.released;
        return true;
      });
    }
    if (active.empty()) break;

    // Jobs waiting out a backoff sit this round out; if all are waiting, sleep until the first.
    const auto now = m_clock.now();
    std::vector<Job*> ready;
    auto earliest = active.front()->ready_at;
    for (auto& j : active) {
      if (j->ready_at <= now) ready.push_back(j.get());
      earliest = std::min(earliest, j->ready_at);
    }
    if (ready.empty()) {
      m_clock.sleep_for(std::chrono::ceil<std::chrono::milliseconds>(earliest - now));
      continue;
    }

    std::vector<llm::ChatRequest> requests;
    for (Job* j : ready) {
      llm::ChatRequest r;
      r.messages = j->prompt;
      if (j->pass == Pass::critique) {
        r.messages.push_back({"assistant", j->draft.text});
        r.messages.push_back(critique_message());
        r.session = j->draft.session;
      }
      r.options.json_schema = j->schema;
      r.options.max_tokens = j->max_tokens;
      // The draft must leave room for the critique: its message and its answer. A batch that
      // cannot fit fails before any generation, with the numbers.
      r.options.fit_reserve = j->pass == Pass::draft ? j->max_tokens + m_opt.critique_reserve : 0;
      // The first attempt is reproducible; a retry samples, so it can answer differently.
      r.options.temperature =
          static_cast<float>(j->attempt == 0 ? m_opt.temperature : std::max(m_opt.temperature, 0.7));
      r.options.seed = static_cast<std::uint32_t>(j->batch.id * 2654435761u + (j->pass == Pass::critique ? 97u : 0u) +
                                                  static_cast<std::uint32_t>(j->attempt) * 7919u);
      requests.push_back(std::move(r));
    }
    const auto g0 = SteadyClock::now();
    auto results = m_backend.generate(requests);
    sum.model_seconds += std::chrono::duration<double>(SteadyClock::now() - g0).count();

    for (size_t i = 0; i < ready.size(); ++i) {
      Job& j = *ready[i];
      auto& res = results[i];
      // again: this pass once more; critique: the draft parsed, on to the critique pass.
      enum class Next { again, critique, done, failed, released } next = Next::again;
      const bool last_try = j.attempt >= m_opt.retries;
      if (!res) {
        // A model error a retry can fix (the server down or busy, a time-out) waits and asks
        // again, up to model_retries; then the batch goes back to pending (not its fault). One the
        // same request would meet again (refused, too long for the context) fails the batch now.
        const bool transient = res.error().kind == ErrorKind::failed;
        j.error = fmt::format("{} pass: {}", pass_name(j.pass), describe(res.error()));
        j.attempts.push_back(
            {{"pass", pass_name(j.pass)}, {"attempt", j.attempt + 1}, {"ok", false}, {"error", j.error}});
        if (transient && !m_warned_model && m_events.on_warning) {
          m_warned_model = true;
          m_events.on_warning("the model failed (" + describe(res.error()) +
                              "); batches are retried with backoff. This is reported once per run.");
        }
        if (!transient) {
          next = Next::failed;
        } else if (j.model_errors >= m_opt.model_retries) {
          next = Next::released;
        } else {
          j.ready_at = m_clock.now() + llm::retry_wait(m_opt.retry_backoff_ms, j.model_errors, res.error());
          ++j.model_errors;
          continue;  // the same attempt again, after the wait
        }
      } else {
        llm::Completion& c = *res;
        j.model_errors = 0;
        j.model_ms += c.prompt_ms + c.generation_ms;
        (j.pass == Pass::draft ? j.draft_raw : j.critique_raw) = c.text;
        NormalizationReport rep;
        auto x = parse_answer(c.text, j.ids, rep, m_opt.bounds);
        json attempt{{"pass", pass_name(j.pass)},
                     {"attempt", j.attempt + 1},
                     {"ok", static_cast<bool>(x)},
                     {"finish", llm::finish_reason_name(c.finish)},
                     {"completion_tokens", c.completion_tokens},
                     {"session", c.session}};
        if (!x) {
          j.error = fmt::format(
              "{} pass: {}{}", pass_name(j.pass), describe(x.error()),
              c.finish == llm::FinishReason::length ? " (cut off by max_tokens or the end of the context)" : "");
          attempt["error"] = j.error;
          attempt["text"] = c.text;
          if (!m_warned_parse && m_events.on_warning) {
            m_warned_parse = true;
            m_events.on_warning("batch " + std::to_string(j.batch.id) + ": " + j.error +
                                "; retrying. Unparseable answers are reported once per run.");
          }
          if (last_try) next = Next::failed;
        } else if (j.pass == Pass::draft) {
          j.draft = std::move(c);
          j.draft_x = std::move(*x);
          j.draft_rep = std::move(rep);
          j.pass = Pass::critique;
          next = Next::critique;
          util::crash_point("drafted");
        } else {
          j.critique = std::move(c);
          j.critique_x = std::move(*x);
          j.critique_rep = std::move(rep);
          next = Next::done;
        }
        j.attempts.push_back(std::move(attempt));
        if (next == Next::again || next == Next::critique) j.ready_at = m_clock.now();
      }
      if (next == Next::again || next == Next::critique) {
        j.attempt = next == Next::again ? j.attempt + 1 : 0;
        continue;
      }
      Status s = next == Next::done     ? finish_done(j, sum)
                 : next == Next::failed ? finish_failed(j, sum)
                                        : finish_released(j, sum);
      std::erase_if(active, [&](const auto& p) { return p.get() == &j; });
      if (!s) {
        release_active("the run stopped on an error");
        return std::unexpected(s.error());
      }
    }
    if (m_consecutive_failures >= m_opt.stop_after_failures && !stopping) {
      stopping = true;
      sum.stopped = true;
      sum.stop_reason = fmt::format("{} batches in a row failed; the last: {}", m_consecutive_failures,
                                    sum.batches.empty() ? std::string() : sum.batches.back().error);
      release_active("the run stopped after repeated failures");
    }
  }
  sum.seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  return sum;
}

}  // namespace knowthy::pipeline
