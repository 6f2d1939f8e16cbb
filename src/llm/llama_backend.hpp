#pragma once
// The embedded backend: llama.cpp linked in. The model is loaded once; each of `parallel` slots is
// one sequence of the KV cache holding a conversation, so a continuation (and any request sharing a
// prefix with what a slot holds) only evaluates the new tokens. Requests given together are decoded
// together, one sequence each, in shared batches.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "llm/backend.hpp"

namespace knowthy::llm {

struct LlamaOptions {
  std::string model_path;
  int parallel = 2;           // sequences decoded together
  int threads = 0;            // 0: one per core
  int context = 4096;         // tokens per sequence (capped at the model's training context)
  int batch = 512;            // tokens per decode call
  int gpu_layers = 999;       // layers offloaded when llama.cpp has a GPU backend (ignored otherwise)
  std::string chat_template;  // overrides the model's own when set
  std::string adapter;        // a GGUF LoRA adapter applied over the model (empty: none)
};

// Work the engine did, for tests and benchmarks.
struct EngineCounters {
  std::uint64_t prompt_tokens = 0;     // prompt tokens requested
  std::uint64_t prompt_evaluated = 0;  // prompt tokens actually evaluated (the rest came from the cache)
  std::uint64_t generated = 0;         // tokens sampled
  std::uint64_t decode_calls = 0;
};

class LlamaBackend final : public ModelBackend {
 public:
  static Result<std::unique_ptr<LlamaBackend>> load(const LlamaOptions& options);
  ~LlamaBackend() override;

  BackendInfo info() const override;
  std::vector<Result<Completion>> generate(std::span<const ChatRequest> requests) override;
  using ModelBackend::generate;
  Result<Score> score(std::string_view prompt, std::string_view completion) override;
  std::optional<int> count_tokens(std::span<const Message> messages) override;

  const EngineCounters& counters() const;
  // The prompt the chat template makes of `messages` (with the assistant's generation prompt).
  Result<std::string> render(std::span<const Message> messages) const;

  struct Impl;

 private:
  explicit LlamaBackend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace knowthy::llm
