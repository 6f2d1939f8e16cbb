#pragma once
// The one interface every model call goes through. Three implementations: the embedded llama.cpp
// engine (llama_backend), an OpenAI-compatible server (openai_backend) and an external command
// (command_backend). The pipeline only sees ModelBackend, so tests can script it.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/clock.hpp"
#include "util/result.hpp"

namespace knowthy::llm {

struct Message {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

struct GenerateOptions {
  int max_tokens = 512;
  float temperature = 0.0f;  // 0 samples greedily
  std::uint32_t seed = 0;
  std::vector<std::string> stop;  // the answer ends before the first of these
  std::string json_schema;        // when set, the answer is constrained to JSON matching it
  std::string grammar;            // a GBNF grammar instead (embedded backend and llama-server)
  bool ignore_eos = false;        // generate max_tokens exactly (benchmarks; embedded backend only)
  // When >= 0, the request fails at once (bad input, no retry can fix it) unless its prompt,
  // max_tokens and this many more tokens fit the context: what a caller that must get a closed
  // answer, and then continue the conversation, needs (embedded backend; servers check their own).
  int fit_reserve = -1;
};

enum class FinishReason { stop, length };
const char* finish_reason_name(FinishReason r);

// One chat completion. `messages` is the whole conversation so far. To continue a conversation
// (the critique pass extends the draft's), pass the earlier messages, the assistant's answer and
// the new message, with `session` set to the earlier completion's session id: backends that keep
// state (the embedded engine's KV cache, an agent's session) then only process the new part.
struct ChatRequest {
  std::vector<Message> messages;
  GenerateOptions options;
  std::string session;  // empty: a new conversation
};

struct Completion {
  std::string text;                 // valid UTF-8 (stray bytes become U+FFFD)
  std::string session;              // names the conversation, for traceability and continuation
  int prompt_tokens = 0;            // tokens in the whole prompt
  int prompt_tokens_evaluated = 0;  // of those, the ones the engine had to evaluate (not cached)
  int completion_tokens = 0;
  double prompt_ms = 0;
  double generation_ms = 0;
  FinishReason finish = FinishReason::stop;
};

// log P(completion | prompt): the sum of the completion tokens' log-probabilities.
struct Score {
  double logprob = 0;
  int tokens = 0;
};

struct BackendInfo {
  std::string backend;         // "llama", "openai", "command"
  std::string model;           // model file, server model name or command
  int context_size = 0;        // tokens per conversation (0 when unknown)
  bool chat_template = false;  // the model carries its own chat template
  int parallel = 1;            // requests processed at once
};

class ModelBackend {
 public:
  virtual ~ModelBackend() = default;
  virtual BackendInfo info() const = 0;
  // Runs the requests (at once, as far as the backend can) and returns one result per request, in
  // order. One request failing does not fail the others.
  virtual std::vector<Result<Completion>> generate(std::span<const ChatRequest> requests) = 0;
  virtual Result<Score> score(std::string_view prompt, std::string_view completion) = 0;
  // The tokens of `messages` as the model sees them (chat template and generation prompt
  // included); backends that cannot tell return nullopt.
  virtual std::optional<int> count_tokens(std::span<const Message> messages) {
    (void)messages;
    return std::nullopt;
  }

  Result<Completion> generate(const ChatRequest& request) {
    return std::move(generate(std::span<const ChatRequest>(&request, 1)).front());
  }
};

// How long to wait before retry number `attempt` (0-based) of a model call that failed with `e`:
// `backoff_ms` doubled each time, or the server's Retry-After when longer, at most 10 minutes.
std::chrono::milliseconds retry_wait(int backoff_ms, int attempt, const Error& e);

// One request with the retry policy the batch runner applies to its own: an error a retry can fix
// (kind `failed`: a server down or busy) is tried again up to `retries` times, waiting `backoff_ms`
// doubled each time (or the server's Retry-After when longer; at most 10 minutes) through `clock`.
// For callers that make a single request (the weekly summary).
Result<Completion> generate_retrying(ModelBackend& backend, const ChatRequest& request, util::Clock& clock, int retries,
                                     int backoff_ms);

// A new session id: the backend name, then 16 random hex digits ("llama-3f9c...").
std::string new_session_id(std::string_view backend);

// The conversation as plain text ("### user:\n...\n\n### assistant:\n"), for backends that take one
// prompt string (the command backend).
std::string render_transcript(std::span<const Message> messages);

}  // namespace knowthy::llm
