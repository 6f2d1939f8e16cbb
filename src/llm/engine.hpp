#pragma once
// Loading llama.cpp models and contexts: one place for the embedded backend, the built-in trainer
// and the evaluator, so that they read a model file the same way and report the same errors.
#include <llama-cpp.h>

#include <span>
#include <string>
#include <vector>

#include "llm/backend.hpp"
#include "util/result.hpp"

struct common_chat_templates;

namespace knowthy::llm {

// llama_backend_init, once per process; llama.cpp's log goes to stderr only when
// KNOWTHY_LLAMA_LOG is set (it is chatty otherwise).
void init_llama();
void quiet_llama_log();

struct ModelLoadOptions {
  std::string path;
  int gpu_layers = 999;   // offloaded when llama.cpp has a GPU backend (ignored otherwise)
  bool writable = false;  // read into memory instead of mapped: training changes the weights
  bool repack = true;     // CPU weight repacking; off for training (the backward pass reads the plain layout)
};

// Bad input when the file is missing or llama.cpp cannot read it as a model.
Result<llama_model_ptr> load_model(const ModelLoadOptions& options);

struct ContextOptions {
  int n_ctx = 4096;  // in total, over all sequences
  int n_batch = 512;
  int n_ubatch = 512;
  int n_seq = 1;
  int threads = 0;          // 0: one per core
  bool kv_unified = false;  // false: one cache stream per sequence
  bool f32_cache = false;   // training: the backward pass has no F16 cache support
};

Result<llama_context_ptr> make_context(llama_model* model, const ContextOptions& options, const std::string& what);

// Loads the GGUF LoRA adapter at `path` and applies it to `ctx` at scale 1. The adapter must be
// freed after the context and before the model.
Result<llama_adapter_lora_ptr> apply_adapter(llama_model* model, llama_context* ctx, const std::string& path,
                                             const std::string& model_path);

// How many leading tokens two sequences share.
size_t common_prefix(const std::vector<llama_token>& a, const std::vector<llama_token>& b);

// log softmax(logits)[token] over `n_vocab` logits, the sum in double: a completion's score adds
// up hundreds of these.
double token_logprob(const float* logits, int n_vocab, llama_token token);

// `threads`, or one per core when it is 0.
int resolve_threads(int threads);

// The text a chat template makes of `messages`: with the assistant's generation prompt for a
// request, without it for a whole conversation (training). Throws on template errors.
std::string render_chat(const common_chat_templates* templates, std::span<const Message> messages,
                        bool add_generation_prompt);

}  // namespace knowthy::llm
