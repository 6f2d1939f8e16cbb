#include "llm/engine.hpp"

#include <chat.h>
#include <common.h>
#include <log.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

namespace knowthy::llm {

void quiet_llama_log() {
  static std::once_flag once;
  std::call_once(once, [] {
    const bool verbose = std::getenv("KNOWTHY_LLAMA_LOG") != nullptr;
    if (verbose) return;
    llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
    common_log_set_verbosity_thold(-1);
    common_log_pause(common_log_main());
  });
}

void init_llama() {
  quiet_llama_log();
  static std::once_flag init;
  std::call_once(init, [] { llama_backend_init(); });
}

int resolve_threads(int threads) {
  return threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

Result<llama_model_ptr> load_model(const ModelLoadOptions& o) {
  init_llama();
  std::error_code ec;
  if (o.path.empty())
    return bad_input("model", "no model file is configured",
                     "set path in the [model] section of knowthy.toml, or pass --model FILE.gguf");
  if (!std::filesystem::is_regular_file(o.path, ec))
    return bad_input(o.path, "no such model file", "check [model] path in knowthy.toml or --model");
  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = o.gpu_layers;
  if (o.writable) mp.load_mode = LLAMA_LOAD_MODE_NONE;
  mp.use_extra_bufts = o.repack;
  llama_model_ptr model(llama_model_load_from_file(o.path.c_str(), mp));
  if (!model)
    return bad_input(o.path, "llama.cpp cannot load this file as a model",
                     "is it a GGUF model? set KNOWTHY_LLAMA_LOG=1 to see llama.cpp's reason");
  return model;
}

Result<llama_context_ptr> make_context(llama_model* model, const ContextOptions& o, const std::string& what) {
  const int threads = resolve_threads(o.threads);
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = static_cast<uint32_t>(o.n_ctx);
  cp.n_batch = static_cast<uint32_t>(o.n_batch);
  cp.n_ubatch = static_cast<uint32_t>(o.n_ubatch);
  cp.n_seq_max = static_cast<uint32_t>(o.n_seq);
  cp.kv_unified = o.kv_unified;
  cp.n_threads = cp.n_threads_batch = threads;
  if (o.f32_cache) {
    cp.type_k = cp.type_v = GGML_TYPE_F32;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  }
  llama_context_ptr ctx(llama_init_from_model(model, cp));
  if (!ctx)
    return fail(what, "llama.cpp could not create a context of " + std::to_string(cp.n_ctx) + " tokens",
                "lower the context size");
  return ctx;
}

Result<llama_adapter_lora_ptr> apply_adapter(llama_model* model, llama_context* ctx, const std::string& path,
                                             const std::string& model_path) {
  llama_adapter_lora_ptr adapter(llama_adapter_lora_init(model, path.c_str()));
  if (!adapter)
    return bad_input(path, "llama.cpp cannot load this file as a LoRA adapter of " + model_path,
                     "is it a GGUF adapter made for this model? set KNOWTHY_LLAMA_LOG=1 for llama.cpp's reason");
  llama_adapter_lora* adapters[] = {adapter.get()};
  float scales[] = {1.0f};
  if (llama_set_adapters_lora(ctx, adapters, 1, scales) != 0)
    return fail(path, "llama.cpp could not apply the adapter");
  return adapter;
}

size_t common_prefix(const std::vector<llama_token>& a, const std::vector<llama_token>& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

double token_logprob(const float* logits, int n_vocab, llama_token token) {
  float mx = logits[0];
  for (int v = 1; v < n_vocab; ++v) mx = std::max(mx, logits[v]);
  double sum = 0;
  for (int v = 0; v < n_vocab; ++v) sum += std::exp(logits[v] - mx);
  return static_cast<double>(logits[token] - mx) - std::log(sum);
}

std::string render_chat(const common_chat_templates* templates, std::span<const Message> messages,
                        bool add_generation_prompt) {
  common_chat_templates_inputs in;
  for (const auto& m : messages) {
    common_chat_msg msg;
    msg.role = m.role;
    msg.content = m.content;
    in.messages.push_back(std::move(msg));
  }
  in.add_generation_prompt = add_generation_prompt;
  in.use_jinja = true;
  return common_chat_templates_apply(templates, in).prompt;
}

}  // namespace knowthy::llm
