#pragma once
// The built-in trainer: supervised fine-tuning of an F32 GGUF with llama.cpp's llama_opt_* API,
// on the chosen answers (a batch's prompt and the critique's answer, under the model's chat
// template) and the SFT examples of the train split. It runs in a child process (`knowthy
// train-child DIR`), so that an abort inside llama.cpp or the OOM killer fails the candidate and
// never the loop. llama_opt has no loss mask: every token of a sequence, prompt included, trains.
#include <filesystem>

#include "train/gguf_info.hpp"
#include "train/manifest.hpp"
#include "train/memory.hpp"
#include "util/result.hpp"

namespace knowthy::train {

// Before a candidate is made: the model is F32 (bad input otherwise, exit 2) and training fits in
// memory (a failure with the figures otherwise). Returns the estimate.
Result<MemoryEstimate> check_llama_opt(const std::filesystem::path& model, const LlamaOptSettings& s,
                                       int memory_limit_mb);

// In the child: trains the candidate whose manifest is in `dir` and writes `train.log` lines on
// stdout ("progress ..." lines drive the parent's bar), metrics.json and the model GGUF. Returns
// the process's exit code.
int run_llama_opt_child(const std::filesystem::path& dir);

}  // namespace knowthy::train
