#pragma once
// LoRA adapters for the built-in trainer: which weights of a base model get one, the adapter that
// training starts from (B = 0, so the model is unchanged until the first step), and the GGUF LoRA
// adapter written from the trained tensors, in the layout llama.cpp's loader reads
// (`<weight>.lora_a` of shape [n_in, rank], `<weight>.lora_b` of shape [rank, n_out], F32).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "util/result.hpp"

struct llama_adapter_lora;

namespace knowthy::train {

struct LoraTarget {
  std::string name;  // the base weight, e.g. blk.0.attn_q.weight
  std::int64_t n_in = 0, n_out = 0;
};

// The base model's 2-D block weights whose name `targets` (a regular expression) matches. Bad
// input when it matches none.
Result<std::vector<LoraTarget>> lora_targets(const std::filesystem::path& base, const std::string& targets);

// Trainable parameters of an adapter of `rank` over `targets`.
std::uint64_t lora_parameters(const std::vector<LoraTarget>& targets, int rank);

// The adapter training starts from: A uniform in +-1/sqrt(n_in) from `seed` (as PEFT's Kaiming
// init), B zero. Written atomically.
Status write_initial_adapter(const std::filesystem::path& out, const std::string& architecture,
                             const std::vector<LoraTarget>& targets, int rank, double alpha, std::uint64_t seed);

// The trained adapter's tensors (read back from llama.cpp's buffers), sorted by name, as a GGUF
// LoRA adapter over `architecture`. Written atomically.
Status save_adapter(const llama_adapter_lora* adapter, const std::string& architecture, double alpha,
                    const std::filesystem::path& out);

}  // namespace knowthy::train
