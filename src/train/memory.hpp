#pragma once
// Whether built-in training fits in memory, decided before it starts: the OOM killer halfway
// through costs the time spent and tells the user nothing.
#include <cstdint>
#include <string>

#include "train/gguf_info.hpp"
#include "train/manifest.hpp"

namespace knowthy::train {

struct MemoryEstimate {
  std::uint64_t weights = 0;      // every tensor, F32
  std::uint64_t trainable = 0;    // the tensors that train
  std::uint64_t optimizer = 0;    // their gradients (+ two AdamW moments)
  std::uint64_t activations = 0;  // one compute pass kept for the backward pass, the KV cache, the logits
  std::uint64_t total = 0;
};

// The tensors llama_opt trains: every weight but the token embeddings (llama.cpp leaves those
// frozen), narrowed by `pattern` (a regular expression over names; empty: all).
bool trains_tensor(const std::string& name, const std::string& pattern);

MemoryEstimate estimate_training_memory(const GgufInfo& model, const LlamaOptSettings& s);

struct AvailableMemory {
  std::uint64_t bytes = 0;
  std::string source;  // where the figure comes from
};

// `limit_mb` when it is set; otherwise the lesser of MemAvailable and the cgroup's room.
AvailableMemory available_memory(int limit_mb);

std::string format_bytes(std::uint64_t bytes);  // "1.2 GiB"

}  // namespace knowthy::train
