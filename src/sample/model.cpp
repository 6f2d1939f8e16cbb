#include "sample/model.hpp"

#include <ggml-cpp.h>
#include <ggml.h>
#include <gguf.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

// The vocabulary file, linked in by cmake/embed_vocab.S.
extern "C" const unsigned char knowthy_vocab_gguf[];
extern "C" const unsigned char knowthy_vocab_gguf_end[];

namespace knowthy::sample {
namespace fs = std::filesystem;

namespace {

// gguf can only read from a FILE*: hand it the embedded bytes through an in-memory stream.
Result<gguf_context_ptr> load_vocab() {
  size_t size = static_cast<size_t>(knowthy_vocab_gguf_end - knowthy_vocab_gguf);
  std::unique_ptr<FILE, int (*)(FILE*)> f(fmemopen(const_cast<unsigned char*>(knowthy_vocab_gguf), size, "rb"),
                                          &std::fclose);
  if (!f) return fail("embedded vocabulary", "cannot open");
  gguf_init_params params{/*no_alloc=*/true, /*ctx=*/nullptr};
  gguf_context_ptr ctx(gguf_init_from_file_ptr(f.get(), params));
  if (!ctx) return fail("embedded vocabulary", "not a readable GGUF");
  return ctx;
}

}  // namespace

// Each user turn ends with the "### assistant:" marker itself, so the generation prompt (what
// add_generation_prompt adds) is empty. llama-server feeds the generation prompt through the
// JSON-schema grammar token by token and, for SentencePiece vocabularies, drops the first token
// when its piece starts with a space that the prompt does not have (common/sampling.cpp, meant
// for a lone "▁" before a special token). "### assistant:\n" tokenizes as "▁###" ..., so "###"
// was lost, the grammar rejected "assistant", and /v1/chat/completions with response_format
// answered 400 "Failed to initialize samplers". The rendered prompts are the same as with the
// plain "{% if add_generation_prompt %}### assistant:" form.
std::string sample_chat_template() {
  return "{% for message in messages %}"
         "{% if message['role'] == 'assistant' %}{{ message['content'] }}\n\n"
         "{% else %}### {{ message['role'] }}:\n{{ message['content'] }}\n\n"
         "{% if message['role'] == 'user' %}### assistant:\n{% endif %}{% endif %}"
         "{% endfor %}";
}

Result<std::uint64_t> write_sample_model(const fs::path& out, const SampleModelOptions& opt) {
  if (opt.n_embd % opt.n_head != 0 || opt.n_head % opt.n_head_kv != 0)
    return bad_input("sample model", "n_embd must divide by n_head, and n_head by n_head_kv");
  auto vocab = load_vocab();
  if (!vocab) return std::unexpected(vocab.error());
  int64_t tok_key = gguf_find_key(vocab->get(), "tokenizer.ggml.tokens");
  if (tok_key < 0) return fail("embedded vocabulary", "has no tokens");
  const auto n_vocab = static_cast<int64_t>(gguf_get_arr_n(vocab->get(), tok_key));

  gguf_context_ptr gguf(gguf_init_empty());
  gguf_set_kv(gguf.get(), vocab->get());  // tokenizer.* and the rest of the vocab's metadata
  gguf_set_val_str(gguf.get(), "general.architecture", "llama");
  gguf_set_val_str(gguf.get(), "general.name", "knowthy sample model (random weights)");
  gguf_set_val_u32(gguf.get(), "general.file_type", 0);  // all F32
  gguf_set_val_u32(gguf.get(), "llama.context_length", static_cast<uint32_t>(opt.n_ctx_train));
  gguf_set_val_u32(gguf.get(), "llama.embedding_length", static_cast<uint32_t>(opt.n_embd));
  gguf_set_val_u32(gguf.get(), "llama.block_count", static_cast<uint32_t>(opt.n_layer));
  gguf_set_val_u32(gguf.get(), "llama.feed_forward_length", static_cast<uint32_t>(opt.n_ff));
  gguf_set_val_u32(gguf.get(), "llama.attention.head_count", static_cast<uint32_t>(opt.n_head));
  gguf_set_val_u32(gguf.get(), "llama.attention.head_count_kv", static_cast<uint32_t>(opt.n_head_kv));
  gguf_set_val_u32(gguf.get(), "llama.rope.dimension_count", static_cast<uint32_t>(opt.n_embd / opt.n_head));
  gguf_set_val_f32(gguf.get(), "llama.attention.layer_norm_rms_epsilon", 1e-5f);
  gguf_set_val_u32(gguf.get(), "llama.vocab_size", static_cast<uint32_t>(n_vocab));
  gguf_set_val_str(gguf.get(), "tokenizer.chat_template", sample_chat_template().c_str());

  const int64_t e = opt.n_embd, ff = opt.n_ff, kv = opt.n_embd / opt.n_head * opt.n_head_kv;
  struct Spec {
    std::string name;
    int64_t ne0, ne1;  // ne1 == 0: a vector
  };
  std::vector<Spec> specs = {
      {"token_embd.weight", e, n_vocab}, {"output_norm.weight", e, 0}, {"output.weight", e, n_vocab}};
  for (int l = 0; l < opt.n_layer; ++l) {
    std::string b = "blk." + std::to_string(l) + ".";
    specs.push_back({b + "attn_norm.weight", e, 0});
    specs.push_back({b + "attn_q.weight", e, e});
    specs.push_back({b + "attn_k.weight", e, kv});
    specs.push_back({b + "attn_v.weight", e, kv});
    specs.push_back({b + "attn_output.weight", e, e});
    specs.push_back({b + "ffn_norm.weight", e, 0});
    specs.push_back({b + "ffn_gate.weight", e, ff});
    specs.push_back({b + "ffn_down.weight", ff, e});
    specs.push_back({b + "ffn_up.weight", e, ff});
  }
  size_t bytes = ggml_tensor_overhead() * specs.size();
  for (const Spec& s : specs) bytes += static_cast<size_t>(s.ne0 * std::max<int64_t>(s.ne1, 1)) * sizeof(float) + 64;
  ggml_init_params gp{bytes, nullptr, false};
  ggml_context_ptr ctx(ggml_init(gp));
  if (!ctx) return fail("sample model", "out of memory");

  std::mt19937_64 rng(opt.seed);
  std::uint64_t params = 0;
  for (const Spec& s : specs) {
    ggml_tensor* t = s.ne1 ? ggml_new_tensor_2d(ctx.get(), GGML_TYPE_F32, s.ne0, s.ne1)
                           : ggml_new_tensor_1d(ctx.get(), GGML_TYPE_F32, s.ne0);
    ggml_set_name(t, s.name.c_str());
    auto* data = static_cast<float*>(t->data);
    int64_t n = ggml_nelements(t);
    if (!s.ne1) {
      std::fill(data, data + n, 1.0f);  // norm weights: identity
    } else {
      // Scaled like a trained model's init, so activations stay in range through the layers.
      std::normal_distribution<float> dist(0.0f, 1.0f / std::sqrt(static_cast<float>(s.ne0)));
      for (int64_t i = 0; i < n; ++i) data[i] = dist(rng);
    }
    params += static_cast<std::uint64_t>(n);
    gguf_add_tensor(gguf.get(), t);
  }

  fs::path tmp = out;
  tmp += ".tmp." + std::to_string(::getpid());
  if (!gguf_write_to_file(gguf.get(), tmp.c_str(), false)) {
    std::error_code ec;
    fs::remove(tmp, ec);
    return fail(out.string(), "cannot write the model file");
  }
  std::error_code ec;
  fs::rename(tmp, out, ec);
  if (ec) return fail(out.string(), "cannot rename into place: " + ec.message());
  return params;
}

}  // namespace knowthy::sample
