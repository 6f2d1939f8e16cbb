#include "train/llama_opt.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <chat.h>
#include <common.h>
#include <ggml-cpu.h>
#include <ggml-opt.h>
#include <llama.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "llm/engine.hpp"
#include "util/crash_point.hpp"
#include "util/fs.hpp"

namespace knowthy::train {

namespace fs = std::filesystem;
using nlohmann::json;
using ojson = nlohmann::ordered_json;

Result<MemoryEstimate> check_llama_opt(const fs::path& model, const LlamaOptSettings& s, int memory_limit_mb) {
  if (!s.tensors.empty()) {
    try {
      std::regex re(s.tensors);
    } catch (const std::regex_error& e) {
      return bad_input("train.tensors", fmt::format("\"{}\" is not a regular expression: {}", s.tensors, e.what()));
    }
  }
  auto info = read_gguf_info(model);
  if (!info) return std::unexpected(info.error());
  for (const auto& t : info->tensors)
    if (t.type != "f32")
      return bad_input(
          model.string(),
          fmt::format("llama-opt trains F32 models only, and this model holds {} tensors (e.g. {})", t.type, t.name),
          "convert the original weights to an F32 GGUF (convert_hf_to_gguf.py --outtype f32), or set "
          "[train] trainer = \"command\" with a trainer that takes quantized models (README, Training)");
  if (s.context > info->n_ctx_train && info->n_ctx_train > 0)
    return bad_input("train.context",
                     fmt::format("{} is more than the model's training context ({})", s.context, info->n_ctx_train));
  const MemoryEstimate e = estimate_training_memory(*info, s);
  const AvailableMemory a = available_memory(memory_limit_mb);
  if (e.total > a.bytes)
    return fail("llama-opt",
                fmt::format("training needs about {} (weights {}, gradients and optimizer state {}, activations {}) "
                            "but {} is {}",
                            format_bytes(e.total), format_bytes(e.weights), format_bytes(e.optimizer),
                            format_bytes(e.activations), a.source, format_bytes(a.bytes)),
                "lower [train] context or ubatch, train fewer tensors ([train] tensors), use optimizer = \"sgd\", "
                "or free memory");
  return e;
}

namespace {

struct Tokens {
  std::vector<llama_token> stream;  // every conversation, one after the other
  std::int64_t conversations = 0;
};

// Each JSON line of a DPO file (prompt + chosen) or an SFT file (messages) as one conversation.
Status add_conversations(const fs::path& path, bool dpo, const common_chat_templates* templates,
                         const llama_vocab* vocab, Tokens& out) {
  std::ifstream f(path);
  if (!f) return fail(path.string(), "cannot be read");
  std::string line;
  const llama_token eos = llama_vocab_eos(vocab);
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    const json j = json::parse(line, nullptr, false);
    std::vector<llm::Message> messages;
    auto add = [&](const json& list) {
      if (!list.is_array()) return;
      for (const auto& m : list) messages.push_back({m.value("role", ""), m.value("content", "")});
    };
    if (dpo) {
      add(j.value("prompt", json::array()));
      add(j.value("chosen", json::array()));
    } else {
      add(j.value("messages", json::array()));
    }
    if (messages.empty()) continue;
    std::string text;
    try {
      text = llm::render_chat(templates, messages, false);
    } catch (const std::exception& e) {
      return fail(path.string(), std::string("the chat template fails: ") + e.what());
    }
    auto toks = common_tokenize(vocab, text, true, true);
    if (eos != LLAMA_TOKEN_NULL && (toks.empty() || toks.back() != eos)) toks.push_back(eos);
    out.stream.insert(out.stream.end(), toks.begin(), toks.end());
    ++out.conversations;
  }
  return {};
}

struct PoolFree {
  void operator()(ggml_threadpool* p) const noexcept { ggml_threadpool_free(p); }
};

struct DatasetFree {
  void operator()(ggml_opt_dataset* d) const noexcept { ggml_opt_dataset_free(d); }
};
using DatasetPtr = std::unique_ptr<ggml_opt_dataset, DatasetFree>;
struct ResultFree {
  void operator()(ggml_opt_result* r) const noexcept { ggml_opt_result_free(r); }
};
using ResultPtr = std::unique_ptr<ggml_opt_result, ResultFree>;

// Cuts the stream into sequences of n_ctx tokens (labels: the next token), the last one filled up
// from the start of the stream, so that no padding token is ever trained on.
DatasetPtr make_dataset(const std::vector<llama_token>& stream, int64_t n_ctx) {
  if (stream.size() < 2) return nullptr;
  const int64_t n = static_cast<int64_t>(stream.size()) - 1;
  const int64_t ndata = (n + n_ctx - 1) / n_ctx;
  DatasetPtr ds(ggml_opt_dataset_init(GGML_TYPE_I32, GGML_TYPE_I32, n_ctx, n_ctx, ndata, 1));
  auto* data = static_cast<llama_token*>(ggml_opt_dataset_data(ds.get())->data);
  auto* labels = static_cast<llama_token*>(ggml_opt_dataset_labels(ds.get())->data);
  const auto len = static_cast<int64_t>(stream.size());
  for (int64_t i = 0; i < ndata * n_ctx; ++i) {
    data[i] = stream[static_cast<size_t>(i % len)];
    labels[i] = stream[static_cast<size_t>((i + 1) % len)];
  }
  return ds;
}

struct Run {
  int epoch = 0, epochs = 0;
  const char* phase = "train";
  std::chrono::steady_clock::time_point last_line{};
  float lr = 0, wd = 0;
  std::optional<TensorFilter> tensors;
};
Run g_run;  // the callbacks are plain function pointers

void on_batch(bool train, ggml_opt_context_t, ggml_opt_dataset_t, ggml_opt_result_t result, int64_t ibatch,
              int64_t ibatch_max, int64_t) {
  if (train) knowthy::util::crash_point("llama-opt-step");
  const auto now = std::chrono::steady_clock::now();
  if (ibatch != ibatch_max && now - g_run.last_line < std::chrono::milliseconds(500)) return;
  g_run.last_line = now;
  double loss = 0, unc = 0;
  ggml_opt_result_loss(result, &loss, &unc);
  std::printf("progress phase=%s epoch=%d/%d step=%lld/%lld loss=%.4f\n", g_run.phase, g_run.epoch, g_run.epochs,
              static_cast<long long>(ibatch), static_cast<long long>(ibatch_max), loss);
  std::fflush(stdout);
}

ggml_opt_optimizer_params optimizer_params(void*) {
  ggml_opt_optimizer_params p = ggml_opt_get_default_optimizer_params(nullptr);
  p.adamw.alpha = p.sgd.alpha = g_run.lr;
  p.adamw.wd = p.sgd.wd = g_run.wd;
  return p;
}

bool param_filter(const ggml_tensor* t, void*) { return g_run.tensors->matches(ggml_get_name(t)); }

// The mean loss per token over the whole dataset, without training.
double eval_loss(llama_context* ctx, ggml_opt_dataset_t ds, const char* phase) {
  ResultPtr r(ggml_opt_result_init()), unused(ggml_opt_result_init());
  g_run.phase = phase;
  llama_opt_epoch(ctx, ds, unused.get(), r.get(), 0, nullptr, on_batch);
  double loss = 0, unc = 0;
  ggml_opt_result_loss(r.get(), &loss, &unc);
  return loss;
}

int child_fail(const Error& e) {
  std::fprintf(stderr, "%s\n", format_error(e).c_str());
  return exit_code(e);
}

}  // namespace

int run_llama_opt_child(const fs::path& dir) {
  auto m = read_manifest(dir / "manifest.json");
  if (!m) return child_fail(m.error());
  const LlamaOptSettings& s = m->llama_opt;
  std::printf("llama-opt: %s from %s, %d epoch(s), %s lr %g, context %d, batch %d, ubatch %d%s\n", m->name.c_str(),
              m->base_model.c_str(), s.epochs, s.optimizer.c_str(), s.learning_rate, s.context, s.batch, s.ubatch,
              s.tensors.empty() ? "" : (", tensors /" + s.tensors + "/").c_str());
  std::fflush(stdout);
  auto model = llm::load_model({.path = m->base_model.string(), .gpu_layers = s.gpu_layers, .writable = true});
  if (!model) return child_fail(model.error());
  const llama_vocab* vocab = llama_model_get_vocab(model->get());
  common_chat_templates_ptr templates;
  try {
    templates = common_chat_templates_init(model->get(), "");
  } catch (const std::exception& e) {
    return child_fail(Error{ErrorKind::bad_input, m->base_model.string(),
                            std::string("its chat template does not parse: ") + e.what(), ""});
  }

  Tokens train, heldout;
  for (auto [role, dpo, out] :
       {std::tuple{"dpo_train", true, &train}, std::tuple{"sft_train", false, &train},
        std::tuple{"dpo_heldout", true, &heldout}, std::tuple{"sft_heldout", false, &heldout}}) {
    const FrozenFile* f = m->dataset(role);
    if (!f) continue;
    if (auto st = add_conversations(f->path, dpo, templates.get(), vocab, *out); !st) return child_fail(st.error());
  }
  if (train.conversations == 0)
    return child_fail(Error{ErrorKind::bad_input, "llama-opt", "the train split holds no conversation to train on",
                            "extract more batches, then `knowthy datasets`"});

  // A persistent thread pool, as llama-finetune has, rather than threads made for every graph; made
  // before the context so that it outlives it.
  ggml_threadpool_params pool_params = ggml_threadpool_params_default(llm::resolve_threads(s.threads));
  std::unique_ptr<ggml_threadpool, PoolFree> pool(ggml_threadpool_new(&pool_params));
  auto ctx = llm::make_context(model->get(),
                               {.n_ctx = s.context,
                                .n_batch = s.batch,
                                .n_ubatch = s.ubatch,
                                .n_seq = 1,
                                .threads = s.threads,
                                .kv_unified = true,
                                .f32_cache = true},
                               m->base_model.string());
  if (!ctx) return child_fail(ctx.error());
  if (pool) llama_attach_threadpool(ctx->get(), pool.get(), pool.get());

  // ggml-opt computes on the CPU backend without llama_decode, which is where llama.cpp gives the
  // backend its thread count: without one decode first, ggml's default of 4 threads would
  // oversubscribe a 2-core machine (measured: 12x slower).
  {
    llama_token first = train.stream.front();
    if (llama_decode(ctx->get(), llama_batch_get_one(&first, 1)) != 0)
      return child_fail(Error{ErrorKind::failed, m->base_model.string(), "llama.cpp cannot evaluate the model", ""});
    llama_memory_clear(llama_get_memory(ctx->get()), true);
  }
  // llama.cpp may round the context up (the KV cache is padded); a sequence is what it made.
  const int n_ctx = static_cast<int>(llama_n_ctx(ctx->get()));
  if (n_ctx % std::min(s.batch, n_ctx) != 0)
    return child_fail(
        Error{ErrorKind::bad_input, "train.batch",
              fmt::format("llama.cpp made a context of {} tokens, which batch = {} does not divide", n_ctx, s.batch),
              "set [train] context to a multiple of 256 and batch to a divisor of it"});
  DatasetPtr train_ds = make_dataset(train.stream, n_ctx);
  DatasetPtr heldout_ds = make_dataset(heldout.stream, n_ctx);
  if (!train_ds)
    return child_fail(Error{ErrorKind::bad_input, "llama-opt", "the train split holds fewer than two tokens", ""});
  const int64_t n_train = ggml_opt_dataset_ndata(train_ds.get());
  std::printf("data: %lld train conversations (%zu tokens, %lld sequences), %lld held-out conversations (%zu tokens)\n",
              static_cast<long long>(train.conversations), train.stream.size(), static_cast<long long>(n_train),
              static_cast<long long>(heldout.conversations), heldout.stream.size());
  std::fflush(stdout);

  g_run.epochs = s.epochs;
  g_run.lr = static_cast<float>(s.learning_rate);
  g_run.wd = static_cast<float>(s.weight_decay);
  g_run.tensors.emplace(s.tensors);
  llama_opt_params op{};
  op.n_ctx_train = 0;
  op.param_filter = param_filter;
  op.param_filter_ud = nullptr;
  op.get_opt_pars = optimizer_params;
  op.get_opt_pars_ud = nullptr;
  op.optimizer_type = s.optimizer == "sgd" ? GGML_OPT_OPTIMIZER_TYPE_SGD : GGML_OPT_OPTIMIZER_TYPE_ADAMW;
  llama_opt_init(ctx->get(), model->get(), op);

  ojson metrics;
  metrics["train_loss_before"] = eval_loss(ctx->get(), train_ds.get(), "eval-train");
  if (heldout_ds) metrics["heldout_loss_before"] = eval_loss(ctx->get(), heldout_ds.get(), "eval-heldout");
  ojson epochs = ojson::array();
  double train_seconds = 0;
  std::uint64_t train_tokens = 0;
  for (int e = 1; e <= s.epochs; ++e) {
    g_run.epoch = e;
    g_run.phase = "train";
    ResultPtr r_train(ggml_opt_result_init()), r_eval(ggml_opt_result_init());
    const auto t0 = std::chrono::steady_clock::now();
    llama_opt_epoch(ctx->get(), train_ds.get(), r_train.get(), r_eval.get(), n_train, on_batch, nullptr);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    train_seconds += secs;
    train_tokens += static_cast<std::uint64_t>(n_train) * static_cast<std::uint64_t>(n_ctx);
    double loss = 0, unc = 0;
    ggml_opt_result_loss(r_train.get(), &loss, &unc);
    ojson ep{{"epoch", e},
             {"train_loss", loss},
             {"seconds", secs},
             {"tokens_per_second", static_cast<double>(n_train) * n_ctx / secs}};
    if (heldout_ds) ep["heldout_loss"] = eval_loss(ctx->get(), heldout_ds.get(), "eval-heldout");
    std::printf("epoch %d/%d: train loss %.4f%s, %.0f tokens/s\n", e, s.epochs, loss,
                heldout_ds ? fmt::format(", held-out loss {:.4f}", ep["heldout_loss"].get<double>()).c_str() : "",
                static_cast<double>(n_train) * n_ctx / secs);
    std::fflush(stdout);
    epochs.push_back(ep);
  }
  metrics["train_loss_after"] = eval_loss(ctx->get(), train_ds.get(), "eval-train");
  if (heldout_ds) metrics["heldout_loss_after"] = epochs.back()["heldout_loss"];
  metrics["epochs"] = epochs;
  metrics["train_conversations"] = train.conversations;
  metrics["train_tokens_per_epoch"] = n_train * n_ctx;
  metrics["context"] = n_ctx;
  metrics["heldout_conversations"] = heldout.conversations;
  metrics["tokens_per_second"] = train_seconds > 0 ? static_cast<double>(train_tokens) / train_seconds : 0.0;
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  metrics["peak_rss_bytes"] = static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
  if (auto info = read_gguf_info(m->base_model)) {
    LlamaOptSettings planned = s;
    planned.context = n_ctx;
    metrics["memory_estimate_bytes"] = estimate_training_memory(*info, planned).total;
  }

  std::error_code ec;
  fs::create_directories(m->output_dir, ec);
  const fs::path out = m->output_dir / "model.gguf", tmp = m->output_dir / "model.gguf.tmp";
  llama_model_save_to_file(model->get(), tmp.c_str());
  if (auto st = restore_base_metadata(m->base_model, tmp); !st) return child_fail(st.error());
  fs::rename(tmp, out, ec);
  if (ec) return child_fail(Error{ErrorKind::failed, out.string(), "cannot be written: " + ec.message(), ""});
  if (auto st = util::write_file_atomic(dir / "metrics.json", metrics.dump(2) + "\n"); !st)
    return child_fail(st.error());
  std::printf("saved %s: train loss %.4f -> %.4f\n", out.c_str(), metrics["train_loss_before"].get<double>(),
              metrics["train_loss_after"].get<double>());
  return 0;
}

}  // namespace knowthy::train
