#pragma once
// Scoring: the log-likelihood a model gives a completion after a prompt, summed over the
// completion's tokens, for many items at once. Items are packed as parallel sequences into
// llama.cpp batches (logits only where a completion token is predicted), as llama-perplexity
// packs its chunks. Runs in the evaluation's child process (`knowthy eval-child`), and in-process
// in tests and benchmarks.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "llm/backend.hpp"
#include "util/result.hpp"

namespace knowthy::eval {

// A completion to score: after a chat prompt (rendered with the model's template, the completion
// as the assistant's answer), or, without one, a plain text after the start of a document.
struct ScoreItem {
  std::optional<std::vector<llm::Message>> prompt;
  std::string completion;
};

struct ItemScore {
  double logprob = 0;      // summed over the completion's tokens (natural log)
  int tokens = 0;          // completion tokens scored
  bool truncated = false;  // the prompt was cut from the front to fit the context
};

struct ModelRef {
  std::string path;
  std::string adapter;  // a LoRA adapter over `path`; empty: none
  nlohmann::json to_json() const;
  static ModelRef from_json(const nlohmann::json& j);
};

struct ScorerOptions {
  int context = 0;   // longest sequence in tokens (longer prompts are cut from the front); 0: the longest item
  int batch = 2048;  // tokens per llama_decode
  int threads = 0;   // 0: one per core
  int gpu_layers = 999;
  std::string chat_template;  // overrides the model's own when set
};

struct ScoreRun {
  std::vector<ItemScore> items;
  std::uint64_t tokens_text = 0;       // every item's tokens, prompts included
  std::uint64_t tokens_evaluated = 0;  // the tokens decoded: fewer, where items share a prompt
  double seconds = 0;                  // decoding and scoring, not loading
  int context = 0;                     // the longest sequence allowed
  std::string chat_template;           // the template the chat items were rendered with
};

// `progress(done, total)` is called after each decoded batch.
Result<ScoreRun> score_items(const ModelRef& model, std::span<const ScoreItem> items, const ScorerOptions& options,
                             const std::function<void(size_t, size_t)>& progress = {});

// The child's request (eval/request.json): the items file (JSON lines {"prompt": [...] | null,
// "completion": "..."}), the models to score them with, by name, and where the scores go.
struct ScoreRequest {
  std::filesystem::path items;
  std::vector<std::pair<std::string, ModelRef>> models;
  ScorerOptions options;
  std::filesystem::path output;  // scores.json
};
Status write_score_request(const std::filesystem::path& path, const ScoreRequest& r);
Status write_items(const std::filesystem::path& path, std::span<const ScoreItem> items);

// The child: scores every item with every model, one model loaded at a time (chat items under
// the first model's template, so that every model scores the same text), and writes
// {"models": {name: {"logprob": [...], "tokens": [...], "truncated": n, "tokens_evaluated": n,
// "seconds": s, "context": n}}}. Prints "progress ..." lines. Returns the exit code.
int run_score_child(const std::filesystem::path& request);

}  // namespace knowthy::eval
