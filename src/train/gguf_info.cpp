#include "train/gguf_info.hpp"

#include <optional>

#include <fmt/format.h>
#include <gguf.h>

#include <fstream>
#include <memory>

#include "llm/engine.hpp"

namespace knowthy::train {

namespace {

struct GgufFree {
  void operator()(gguf_context* c) const noexcept { gguf_free(c); }
};

std::string str_key(const gguf_context* g, const std::string& key) {
  const int64_t i = gguf_find_key(g, key.c_str());
  if (i < 0 || gguf_get_kv_type(g, i) != GGUF_TYPE_STRING) return {};
  return gguf_get_val_str(g, i);
}

std::int64_t int_key(const gguf_context* g, const std::string& key) {
  const int64_t i = gguf_find_key(g, key.c_str());
  if (i < 0) return 0;
  switch (gguf_get_kv_type(g, i)) {
    case GGUF_TYPE_UINT32: return gguf_get_val_u32(g, i);
    case GGUF_TYPE_INT32: return gguf_get_val_i32(g, i);
    case GGUF_TYPE_UINT64: return static_cast<std::int64_t>(gguf_get_val_u64(g, i));
    case GGUF_TYPE_INT64: return gguf_get_val_i64(g, i);
    case GGUF_TYPE_UINT16: return gguf_get_val_u16(g, i);
    case GGUF_TYPE_ARRAY:
      return gguf_get_arr_n(g, i) > 0 && gguf_get_arr_type(g, i) == GGUF_TYPE_UINT32
                 ? static_cast<const uint32_t*>(gguf_get_arr_data(g, i))[0]
                 : 0;  // per-layer values (e.g. head counts): the first layer's
    default: return 0;
  }
}

}  // namespace

std::uint64_t GgufInfo::tensor_bytes() const {
  std::uint64_t n = 0;
  for (const auto& t : tensors) n += t.bytes;
  return n;
}

Result<GgufInfo> read_gguf_info(const std::filesystem::path& path) {
  {
    std::ifstream f(path, std::ios::binary);
    char magic[4] = {};
    if (!f) return bad_input(path.string(), "cannot be read");
    if (!f.read(magic, 4) || std::string_view(magic, 4) != "GGUF")
      return bad_input(path.string(), "is not a GGUF file (its first bytes are not \"GGUF\")");
  }
  llm::quiet_llama_log();  // ggml logs header errors itself; ours name the file
  gguf_init_params params{true, nullptr};
  std::unique_ptr<gguf_context, GgufFree> g(gguf_init_from_file(path.c_str(), params));
  if (!g) return bad_input(path.string(), "is a damaged or unsupported GGUF file (its header does not parse)");
  GgufInfo info;
  info.general_type = str_key(g.get(), "general.type");
  info.architecture = str_key(g.get(), "general.architecture");
  info.adapter_type = str_key(g.get(), "adapter.type");
  const std::string a = info.architecture;
  info.n_embd = int_key(g.get(), a + ".embedding_length");
  info.n_layer = int_key(g.get(), a + ".block_count");
  info.n_ff = int_key(g.get(), a + ".feed_forward_length");
  info.n_head = int_key(g.get(), a + ".attention.head_count");
  info.n_head_kv = int_key(g.get(), a + ".attention.head_count_kv");
  if (info.n_head_kv == 0) info.n_head_kv = info.n_head;
  info.n_ctx_train = int_key(g.get(), a + ".context_length");
  info.n_vocab = int_key(g.get(), a + ".vocab_size");
  if (const int64_t tok = gguf_find_key(g.get(), "tokenizer.ggml.tokens"); info.n_vocab == 0 && tok >= 0)
    info.n_vocab = static_cast<std::int64_t>(gguf_get_arr_n(g.get(), tok));
  const int64_t n = gguf_get_n_tensors(g.get());
  for (int64_t i = 0; i < n; ++i) {
    const ggml_type type = gguf_get_tensor_type(g.get(), i);
    const size_t bytes = gguf_get_tensor_size(g.get(), i);
    const auto block = static_cast<std::uint64_t>(ggml_blck_size(type));
    const auto type_size = static_cast<std::uint64_t>(ggml_type_size(type));
    info.tensors.push_back(
        {gguf_get_tensor_name(g.get(), i), ggml_type_name(type), bytes, type_size ? bytes / type_size * block : 0});
  }
  return info;
}

std::string_view to_string(GgufKind k) { return k == GgufKind::model ? "model" : "adapter"; }

Result<GgufKind> gguf_kind(const GgufInfo& info, const std::filesystem::path& path) {
  if (info.tensors.empty()) return bad_input(path.string(), "is a GGUF file without tensors");
  if (info.general_type == "adapter") return GgufKind::adapter;
  if (info.general_type == "model" || (info.general_type.empty() && !info.architecture.empty())) return GgufKind::model;
  return bad_input(
      path.string(),
      info.general_type.empty()
          ? std::string("is a GGUF file with neither general.type nor general.architecture")
          : fmt::format("is a GGUF file of general.type \"{}\", neither a model nor an adapter", info.general_type));
}

Status restore_base_metadata(const std::filesystem::path& from, const std::filesystem::path& into) {
  struct CtxFree {
    void operator()(ggml_context* c) const noexcept { ggml_free(c); }
  };
  gguf_init_params meta_only{true, nullptr};
  std::unique_ptr<gguf_context, GgufFree> base(gguf_init_from_file(from.c_str(), meta_only));
  if (!base) return bad_input(from.string(), "is not a GGUF file ggml can read");
  ggml_context* tensors_raw = nullptr;
  gguf_init_params with_tensors{true, &tensors_raw};
  std::unique_ptr<gguf_context, GgufFree> saved(gguf_init_from_file(into.c_str(), with_tensors));
  std::unique_ptr<ggml_context, CtxFree> tensors(tensors_raw);
  if (!saved) return bad_input(into.string(), "is not a GGUF file ggml can read");
  bool missing = false;
  for (int64_t i = 0; i < gguf_get_n_kv(base.get()); ++i)
    missing = missing || gguf_find_key(saved.get(), gguf_get_key(base.get(), i)) < 0;
  // llama.cpp's optimizer sets the model's training context to the context it trained with, and the
  // saver writes that: the base's context length is put back, or the candidate could read no more
  // than [train] context tokens once promoted.
  std::string ctx_key;
  std::optional<std::uint32_t> base_ctx;
  if (const int64_t a = gguf_find_key(base.get(), "general.architecture");
      a >= 0 && gguf_get_kv_type(base.get(), a) == GGUF_TYPE_STRING) {
    ctx_key = std::string(gguf_get_val_str(base.get(), a)) + ".context_length";
    if (const int64_t k = gguf_find_key(base.get(), ctx_key.c_str());
        k >= 0 && gguf_get_kv_type(base.get(), k) == GGUF_TYPE_UINT32)
      base_ctx = gguf_get_val_u32(base.get(), k);
  }
  bool ctx_differs = false;
  if (base_ctx) {
    const int64_t k = gguf_find_key(saved.get(), ctx_key.c_str());
    ctx_differs =
        k >= 0 && gguf_get_kv_type(saved.get(), k) == GGUF_TYPE_UINT32 && gguf_get_val_u32(saved.get(), k) != *base_ctx;
  }
  if (!missing && !ctx_differs) return {};

  // The base's keys, then the saved file's over them; the same tensors in the same order, so the
  // data section (offsets relative to its start) is copied unchanged.
  std::unique_ptr<gguf_context, GgufFree> out(gguf_init_empty());
  gguf_set_kv(out.get(), base.get());
  gguf_set_kv(out.get(), saved.get());
  if (ctx_differs) gguf_set_val_u32(out.get(), ctx_key.c_str(), *base_ctx);
  for (int64_t i = 0; i < gguf_get_n_tensors(saved.get()); ++i) {
    ggml_tensor* t = ggml_get_tensor(tensors.get(), gguf_get_tensor_name(saved.get(), i));
    if (!t) return fail(into.string(), "a tensor listed in its header is missing");
    gguf_add_tensor(out.get(), t);
    if (gguf_get_tensor_offset(out.get(), i) != gguf_get_tensor_offset(saved.get(), i))
      return fail(into.string(), "its tensor layout cannot be kept while adding metadata");
  }
  std::vector<char> header(gguf_get_meta_size(out.get()));
  gguf_get_meta_data(out.get(), header.data());
  std::ifstream in(into, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(gguf_get_data_offset(saved.get())));
  const std::filesystem::path tmp = into.string() + ".meta.tmp";
  {
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    o.write(header.data(), static_cast<std::streamsize>(header.size()));
    o << in.rdbuf();
    o.flush();
    if (!o) return fail(tmp.string(), "cannot be written");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, into, ec);
  if (ec) return fail(into.string(), "cannot be replaced: " + ec.message());
  return {};
}

}  // namespace knowthy::train
