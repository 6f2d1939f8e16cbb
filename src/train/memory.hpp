#pragma once
// Whether built-in training fits in memory, decided before it starts: the OOM killer halfway
// through costs the time spent and tells the user nothing.
#include <cstdint>
#include <optional>
#include <regex>
#include <string>

#include "train/gguf_info.hpp"
#include "train/manifest.hpp"

namespace knowthy::train {

struct MemoryEstimate {
  std::uint64_t weights = 0;      // every tensor as the file has it (and a LoRA adapter's, F32)
  std::uint64_t trainable = 0;    // the tensors that train
  std::uint64_t optimizer = 0;    // their gradients (+ two AdamW moments)
  std::uint64_t activations = 0;  // one compute pass kept for the backward pass, the KV cache, the logits
  std::uint64_t total = 0;
};

// [train] tensors: the tensors that train, a regular expression over names (empty: all), compiled
// once. llama_opt asks it of every tensor it could train; llama.cpp itself leaves the token
// embeddings frozen, which trains() adds for the memory estimate. An invalid pattern matches nothing
// (check_llama_opt refuses it before training).
class TensorFilter {
 public:
  explicit TensorFilter(const std::string& pattern);
  bool matches(const char* name) const;
  bool trains(const std::string& name) const { return name != "token_embd.weight" && matches(name.c_str()); }

 private:
  std::optional<std::regex> m_re;  // none: every tensor
  bool m_valid = true;
};

// `lora_parameters`: the adapter's size when s.lora() (train/lora.hpp); then only it trains.
MemoryEstimate estimate_training_memory(const GgufInfo& model, const LlamaOptSettings& s,
                                        std::uint64_t lora_parameters = 0);

struct AvailableMemory {
  std::uint64_t bytes = 0;
  std::string source;  // where the figure comes from
};

// `limit_mb` when it is set; otherwise the lesser of MemAvailable and the cgroup's room.
AvailableMemory available_memory(int limit_mb);

std::string format_bytes(std::uint64_t bytes);  // "1.2 GiB"

}  // namespace knowthy::train
