#include "train/lora.hpp"

#include <fmt/format.h>
#include <ggml-backend.h>
#include <ggml.h>
#include <gguf.h>
#include <llama.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <regex>

namespace knowthy::train {

namespace fs = std::filesystem;

namespace {

struct GgufFree {
  void operator()(gguf_context* g) const noexcept { gguf_free(g); }
};
struct GgmlFree {
  void operator()(ggml_context* c) const noexcept { ggml_free(c); }
};
using GgufPtr = std::unique_ptr<gguf_context, GgufFree>;
using GgmlPtr = std::unique_ptr<ggml_context, GgmlFree>;

struct Tensor {
  std::string name;
  std::int64_t ne0 = 0, ne1 = 0;
  std::vector<float> data;
};

// One GGUF LoRA adapter file from F32 tensors: temp file, then rename.
Status write_adapter(const fs::path& out, const std::string& architecture, double alpha,
                     const std::vector<Tensor>& tensors) {
  GgmlPtr meta(ggml_init({(tensors.size() + 1) * ggml_tensor_overhead(), nullptr, true}));
  GgufPtr g(gguf_init_empty());
  gguf_set_val_str(g.get(), "general.architecture", architecture.c_str());
  gguf_set_val_str(g.get(), "general.type", "adapter");
  gguf_set_val_str(g.get(), "adapter.type", "lora");
  gguf_set_val_f32(g.get(), "adapter.lora.alpha", static_cast<float>(alpha));
  for (const auto& t : tensors) {
    ggml_tensor* x = ggml_new_tensor_2d(meta.get(), GGML_TYPE_F32, t.ne0, t.ne1);
    ggml_set_name(x, t.name.c_str());
    gguf_add_tensor(g.get(), x);
    gguf_set_tensor_data(g.get(), t.name.c_str(), t.data.data());
  }
  const fs::path tmp = out.string() + ".tmp";
  if (!gguf_write_to_file(g.get(), tmp.c_str(), false)) return fail(tmp.string(), "cannot be written");
  std::error_code ec;
  fs::rename(tmp, out, ec);
  if (ec) return fail(out.string(), "cannot be written: " + ec.message());
  return {};
}

}  // namespace

Result<std::vector<LoraTarget>> lora_targets(const fs::path& base, const std::string& targets) {
  std::regex re;
  try {
    re = std::regex(targets);
  } catch (const std::regex_error& e) {
    return bad_input("train.lora_targets", fmt::format("\"{}\" is not a regular expression: {}", targets, e.what()));
  }
  ggml_context* raw = nullptr;
  GgufPtr g(gguf_init_from_file(base.c_str(), {true, &raw}));
  GgmlPtr meta(raw);
  if (!g || !meta) return bad_input(base.string(), "is a damaged or unsupported GGUF file");
  std::vector<LoraTarget> out;
  for (int64_t i = 0; i < gguf_get_n_tensors(g.get()); ++i) {
    const std::string name = gguf_get_tensor_name(g.get(), i);
    const ggml_tensor* t = ggml_get_tensor(meta.get(), name.c_str());
    if (!t || !name.starts_with("blk.") || !name.ends_with(".weight") || ggml_n_dims(t) != 2) continue;
    if (std::regex_search(name, re)) out.push_back({name, t->ne[0], t->ne[1]});
  }
  if (out.empty())
    return bad_input("train.lora_targets",
                     fmt::format("\"{}\" matches no 2-D block weight of {}", targets, base.filename().string()),
                     "the default, \"attn_(q|k|v|output)|ffn_(gate|up|down)\", fits llama-like models");
  return out;
}

std::uint64_t lora_parameters(const std::vector<LoraTarget>& targets, int rank) {
  std::uint64_t n = 0;
  for (const auto& t : targets) n += static_cast<std::uint64_t>(rank) * static_cast<std::uint64_t>(t.n_in + t.n_out);
  return n;
}

Status write_initial_adapter(const fs::path& out, const std::string& architecture,
                             const std::vector<LoraTarget>& targets, int rank, double alpha, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Tensor> tensors;
  for (const auto& t : targets) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(t.n_in));
    std::uniform_real_distribution<float> u(-bound, bound);
    Tensor a{t.name + ".lora_a", t.n_in, rank, std::vector<float>(static_cast<size_t>(t.n_in * rank))};
    for (float& x : a.data) x = u(rng);
    tensors.push_back(std::move(a));
    tensors.push_back({t.name + ".lora_b", rank, t.n_out, std::vector<float>(static_cast<size_t>(rank * t.n_out))});
  }
  return write_adapter(out, architecture, alpha, tensors);
}

Status save_adapter(const llama_adapter_lora* adapter, const std::string& architecture, double alpha,
                    const fs::path& out) {
  const int32_t n = llama_adapter_lora_get_tensors(adapter, nullptr, 0);
  std::vector<ggml_tensor*> raw(static_cast<size_t>(n));
  llama_adapter_lora_get_tensors(adapter, raw.data(), n);
  std::vector<Tensor> tensors;
  for (ggml_tensor* t : raw) {
    if (t->type != GGML_TYPE_F32 || ggml_n_dims(t) > 2)
      return fail(out.string(), fmt::format("adapter tensor {} is not a 2-D F32 tensor", ggml_get_name(t)));
    Tensor x{ggml_get_name(t), t->ne[0], t->ne[1], std::vector<float>(static_cast<size_t>(ggml_nelements(t)))};
    ggml_backend_tensor_get(t, x.data.data(), 0, ggml_nbytes(t));  // also from a GPU buffer
    tensors.push_back(std::move(x));
  }
  std::sort(tensors.begin(), tensors.end(), [](const Tensor& a, const Tensor& b) { return a.name < b.name; });
  return write_adapter(out, architecture, alpha, tensors);
}

}  // namespace knowthy::train
