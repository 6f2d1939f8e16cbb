#pragma once
// models/cand_NNNN/manifest.json: everything a candidate was made from, written before its trainer
// starts. The built-in trainer's child process reads it back, so this struct is the one reader
// and writer of the file.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace knowthy::train {

// The built-in trainer's settings ([train] in knowthy.toml), as the candidate froze them.
struct LlamaOptSettings {
  int epochs = 2;
  double learning_rate = 1e-5;
  double weight_decay = 0.0;
  std::string optimizer = "adamw";  // adamw | sgd
  int context = 512;
  int batch = 512;
  int ubatch = 512;
  std::string tensors;  // regex over tensor names; empty: all
  int threads = 0;
  int gpu_layers = 999;
  std::string method = "full";  // full | lora (resolved from [train] method when the candidate is made)
  int lora_rank = 16;
  double lora_alpha = 32;
  std::string lora_targets = "attn_(q|k|v|output)|ffn_(gate|up|down)";
  std::string objective = "dpo";  // dpo | sft
  double dpo_beta = 0.1;
  double rpo_alpha = 1.0;
  bool lora() const { return method == "lora"; }
  nlohmann::ordered_json to_json() const;
  static LlamaOptSettings from_json(const nlohmann::json& j);
};

struct FrozenFile {
  std::string role;  // dpo_train, dpo_heldout, sft_train, sft_heldout
  std::filesystem::path path;
  std::string sha256;
  std::uint64_t bytes = 0;
  std::int64_t records = 0;  // JSON lines
};

struct Manifest {
  std::int64_t id = 0;
  std::string name;  // cand_NNNN
  std::string created_at;
  std::string knowthy_version;
  std::filesystem::path base_model;  // the model file training starts from
  std::string base_sha256;
  std::uint64_t base_bytes = 0;
  std::string starts_from = "base";  // the active model: base, or a promoted candidate's name
  std::vector<FrozenFile> datasets;
  std::vector<std::int64_t> batches_train, batches_heldout, batches_flagged;
  std::string trainer;               // none | command | llama-opt
  std::vector<std::string> command;  // command: the argument vector, placeholders replaced
  bool shell = false;                // command: run with /bin/sh -c
  LlamaOptSettings llama_opt;        // llama-opt
  std::filesystem::path output_dir;  // where the trainer leaves its GGUF
  nlohmann::ordered_json gate;       // the counts that opened the gate (or forced: true)
  const FrozenFile* dataset(std::string_view role) const;
  nlohmann::ordered_json to_json() const;
};

Result<Manifest> read_manifest(const std::filesystem::path& path);
Status write_manifest(const std::filesystem::path& path, const Manifest& m);

}  // namespace knowthy::train
