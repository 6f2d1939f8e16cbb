#pragma once
// The built-in trainer, on llama.cpp's llama_opt_* API (with patches/llama.cpp-training.patch):
// - method "lora": a LoRA adapter trains over the frozen base weights, which stay as the file has
//   them (F32, F16, Q8_0, Q4_K, ...); the result is a GGUF LoRA adapter. "full": the weights
//   themselves train (F32 models only); the result is a GGUF model.
// - objective "dpo": native DPO on the pairs (train/preference.hpp); "sft": the chosen answers
//   and the SFT examples. Either way only answer tokens count in the loss (train/sequences.hpp).
// It runs in a child process (`knowthy train-child DIR`), so that an abort inside llama.cpp or the
// OOM killer fails the candidate and never the loop.
#include <filesystem>

#include "train/gguf_info.hpp"
#include "train/manifest.hpp"
#include "train/memory.hpp"
#include "util/result.hpp"

namespace knowthy::train {

// Architectures whose llama.cpp graph has a backward pass for every op (no MoE, no recurrent
// state, no fused attention kernels).
bool trainable_architecture(const std::string& arch);

// Before a candidate is made: resolves `s.method` ("auto" -> full for an all-F32 model, else
// lora), refuses what cannot train (bad input, exit 2: the architecture, a full fine-tune of a
// quantized model, BF16 weights, lora_targets matching nothing) and training that does not fit in
// memory (a failure with the figures). Returns the estimate.
Result<MemoryEstimate> check_llama_opt(const std::filesystem::path& model, LlamaOptSettings& s, int memory_limit_mb);

// In the child: trains the candidate whose manifest is in `dir` and writes `train.log` lines on
// stdout ("progress ..." lines drive the parent's bar), metrics.json and the GGUF. Returns the
// process's exit code.
int run_llama_opt_child(const std::filesystem::path& dir);

}  // namespace knowthy::train
