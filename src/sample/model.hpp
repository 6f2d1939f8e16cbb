#pragma once
// A tiny llama-architecture GGUF with seeded random F32 weights, so that tests, the demo and
// benchmarks exercise the real engine without downloading anything. Its answers are nonsense.
// The tokenizer is llama.cpp's own test vocabulary (models/ggml-vocab-llama-spm.gguf), embedded
// into the binary at build time.
#include <cstdint>
#include <filesystem>
#include <string>

#include "util/result.hpp"

namespace knowthy::sample {

struct SampleModelOptions {
  std::uint64_t seed = 1;
  int n_embd = 64;
  int n_layer = 2;
  int n_head = 4;
  int n_head_kv = 4;
  int n_ff = 128;
  int n_ctx_train = 32768;  // room for whole batches; the weights are random either way
};

// The chat template written into the model: plain markers the vocabulary tokenizes as text.
std::string sample_chat_template();

// Writes the model to `out` atomically (temp + rename). Returns its parameter count.
Result<std::uint64_t> write_sample_model(const std::filesystem::path& out, const SampleModelOptions& opt);

}  // namespace knowthy::sample
