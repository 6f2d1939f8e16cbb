#pragma once
// What a GGUF file's header says: its type (model or LoRA adapter), its architecture's sizes and
// its tensors. Read with ggml's gguf reader without loading any weights, to check what a trainer
// wrote and to plan training before a byte of it is allocated.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace knowthy::train {

struct GgufTensor {
  std::string name;
  std::string type;  // ggml's name: f32, f16, q8_0, ...
  std::uint64_t bytes = 0;
  std::uint64_t elements = 0;
};

struct GgufInfo {
  std::string general_type;  // general.type: "model", "adapter", or "" when the key is absent
  std::string architecture;  // general.architecture
  std::string adapter_type;  // adapter.type ("lora") for adapters
  std::vector<GgufTensor> tensors;
  std::int64_t n_embd = 0, n_layer = 0, n_ff = 0, n_head = 0, n_head_kv = 0, n_vocab = 0, n_ctx_train = 0;
  std::uint64_t tensor_bytes() const;
};

// Bad input naming the file when it is not a GGUF file or its header does not parse.
Result<GgufInfo> read_gguf_info(const std::filesystem::path& path);

enum class GgufKind { model, adapter };
std::string_view to_string(GgufKind k);

// A model (general.type "model", or absent with an architecture, as llama.cpp's own saver writes
// it) or a LoRA adapter (general.type "adapter"); anything else is bad input.
Result<GgufKind> gguf_kind(const GgufInfo& info, const std::filesystem::path& path);

// Rewrites the GGUF at `into` (atomically, through a temporary file) with every metadata key of
// `from` that it lacks, and `from`'s <arch>.context_length, keeping its other keys and its tensors
// byte for byte. llama.cpp's model saver writes only the keys it knows, so the built-in trainer's
// output would lose e.g. the base model's tokenizer.chat_template, and the context length it
// writes is the one the model was trained with, not the base's.
Status restore_base_metadata(const std::filesystem::path& from, const std::filesystem::path& into);

}  // namespace knowthy::train
