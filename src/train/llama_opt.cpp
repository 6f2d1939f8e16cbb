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
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "llm/engine.hpp"
#include "train/lora.hpp"
#include "train/preference.hpp"
#include "train/sequences.hpp"
#include "util/crash_point.hpp"
#include "util/fs.hpp"

namespace knowthy::train {

namespace fs = std::filesystem;
using nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

// The frozen weight types whose backward pass (ggml's OUT_PROD on the CPU) exists: every
// quantization llama.cpp makes but BF16.
const std::set<std::string, std::less<>> k_frozen_types{
    "f32",   "f16",   "q4_0",  "q4_1",    "q5_0",   "q5_1",    "q8_0",  "q2_K",  "q3_K",   "q4_K",   "q5_K",  "q6_K",
    "tq1_0", "tq2_0", "mxfp4", "iq2_xxs", "iq2_xs", "iq3_xxs", "iq1_s", "iq1_m", "iq4_nl", "iq4_xs", "iq3_s", "iq2_s"};

}  // namespace

bool trainable_architecture(const std::string& arch) {
  // Checked on this llama.cpp: llama (and the models that reuse it: Mistral, Llama 2/3, SmolLM,
  // TinyLlama ...), qwen2 (q/k/v biases) and qwen3 (q/k norms) use only ops with a backward pass.
  return arch == "llama" || arch == "qwen2" || arch == "qwen3";
}

Result<MemoryEstimate> check_llama_opt(const fs::path& model, LlamaOptSettings& s, int memory_limit_mb) {
  if (!s.tensors.empty()) {
    try {
      std::regex re(s.tensors);
    } catch (const std::regex_error& e) {
      return bad_input("train.tensors", fmt::format("\"{}\" is not a regular expression: {}", s.tensors, e.what()));
    }
  }
  auto info = read_gguf_info(model);
  if (!info) return std::unexpected(info.error());
  if (!trainable_architecture(info->architecture))
    return bad_input(model.string(),
                     fmt::format("llama.cpp cannot train \"{}\" models: its graph uses ops without a backward pass "
                                 "(the built-in trainer takes llama, qwen2 and qwen3 models)",
                                 info->architecture.empty() ? "unknown" : info->architecture),
                     "set [train] trainer = \"command\" with a trainer for this model (README, Training)");
  const GgufTensor* quantized = nullptr;
  for (const auto& t : info->tensors) {
    if (t.type != "f32" && !quantized) quantized = &t;
    if (!k_frozen_types.contains(t.type))
      return bad_input(model.string(),
                       fmt::format("its tensor {} is {}, which llama.cpp cannot backpropagate through", t.name, t.type),
                       "convert the model to F16 or quantize it (e.g. Q8_0) with llama-quantize");
  }
  if (s.method == "auto") s.method = quantized ? "lora" : "full";
  if (s.method == "full" && quantized)
    return bad_input(model.string(),
                     fmt::format("a full fine-tune trains F32 models only, and this model holds {} tensors (e.g. {})",
                                 quantized->type, quantized->name),
                     "set [train] method = \"lora\" (or \"auto\") to train an adapter over the quantized weights");
  if (s.context > info->n_ctx_train && info->n_ctx_train > 0)
    return bad_input("train.context",
                     fmt::format("{} is more than the model's training context ({})", s.context, info->n_ctx_train));
  std::uint64_t lora_params = 0;
  if (s.lora()) {
    auto targets = lora_targets(model, s.lora_targets);
    if (!targets) return std::unexpected(targets.error());
    lora_params = lora_parameters(*targets, s.lora_rank);
  }
  const MemoryEstimate e = estimate_training_memory(*info, s, lora_params);
  const AvailableMemory a = available_memory(memory_limit_mb);
  if (e.total > a.bytes)
    return fail("llama-opt",
                fmt::format("training needs about {} (weights {}, gradients and optimizer state {}, activations {}) "
                            "but {} is {}",
                            format_bytes(e.total), format_bytes(e.weights), format_bytes(e.optimizer),
                            format_bytes(e.activations), a.source, format_bytes(a.bytes)),
                s.lora() ? "lower [train] context or ubatch or lora_rank, use a smaller quantization, or free memory"
                         : "lower [train] context or ubatch, train fewer tensors ([train] tensors), use optimizer = "
                           "\"sgd\" or method = \"lora\", or free memory");
  return e;
}

namespace {

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

// A dataset of rows and their label weights, each scaled by `scale[i]` (sft: 1; a DPO step: +w, -w).
struct WeightedData {
  DatasetPtr ds;
  std::vector<float> weights;
};

WeightedData make_dataset(const std::vector<const Row*>& rows, const std::vector<float>& scale, int64_t n_ctx) {
  WeightedData d;
  d.ds.reset(ggml_opt_dataset_init(GGML_TYPE_I32, GGML_TYPE_I32, n_ctx, n_ctx, static_cast<int64_t>(rows.size()), 1));
  auto* data = static_cast<llama_token*>(ggml_opt_dataset_data(d.ds.get())->data);
  auto* labels = static_cast<llama_token*>(ggml_opt_dataset_labels(d.ds.get())->data);
  d.weights.resize(rows.size() * static_cast<size_t>(n_ctx));
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t i = 0; i < static_cast<size_t>(n_ctx); ++i) {
      const size_t k = r * static_cast<size_t>(n_ctx) + i;
      data[k] = rows[r]->tokens[i];
      labels[k] = rows[r]->labels[i];
      d.weights[k] = rows[r]->weights[i] * scale[r];
    }
  return d;
}

struct Run {
  int epoch = 0, epochs = 0;
  const char* phase = "train";
  std::chrono::steady_clock::time_point last_line{};
  float lr = 0, wd = 0;
  bool lora = false;
  std::optional<TensorFilter> tensors;
  double loss_scale = 1;  // sft: the weighted loss per token -> per answer token
};
Run g_run;  // the callbacks are plain function pointers

void progress_line(int64_t step, int64_t steps, double loss) {
  std::printf("progress phase=%s epoch=%d/%d step=%lld/%lld loss=%.4f\n", g_run.phase, g_run.epoch, g_run.epochs,
              static_cast<long long>(step), static_cast<long long>(steps), loss);
  std::fflush(stdout);
}

void on_batch(bool train, ggml_opt_context_t, ggml_opt_dataset_t, ggml_opt_result_t result, int64_t ibatch,
              int64_t ibatch_max, int64_t) {
  if (train) knowthy::util::crash_point("llama-opt-step");
  const auto now = std::chrono::steady_clock::now();
  if (ibatch != ibatch_max && now - g_run.last_line < std::chrono::milliseconds(500)) return;
  g_run.last_line = now;
  double loss = 0, unc = 0;
  ggml_opt_result_loss(result, &loss, &unc);
  progress_line(ibatch, ibatch_max, loss * g_run.loss_scale);
}

ggml_opt_optimizer_params optimizer_params(void*) {
  ggml_opt_optimizer_params p = ggml_opt_get_default_optimizer_params(nullptr);
  p.adamw.alpha = p.sgd.alpha = g_run.lr;
  p.adamw.wd = p.sgd.wd = g_run.wd;
  return p;
}

bool param_filter(const ggml_tensor* t, void*) {
  const std::string_view name = ggml_get_name(t);
  const bool adapter = name.ends_with(".lora_a") || name.ends_with(".lora_b");
  return g_run.lora ? adapter : !adapter && g_run.tensors->matches(name.data());
}

int child_fail(const Error& e) {
  std::fprintf(stderr, "%s\n", format_error(e).c_str());
  return exit_code(e);
}

// Mean negative log-likelihood per answer token over `rows`, as the model computes it now.
Result<double> answer_nll(llama_context* ctx, const std::vector<Row>& rows, int n_batch) {
  double sum = 0;
  std::int64_t n = 0;
  for (const auto& r : rows) {
    auto lp = row_logprob(ctx, r, n_batch);
    if (!lp) return std::unexpected(lp.error());
    sum -= *lp;
    n += r.answer_tokens;
  }
  return n > 0 ? sum / static_cast<double>(n) : 0.0;
}

Result<std::vector<PairLogprobs>> score_pairs(llama_context* ctx, const std::vector<Pair>& pairs, int n_batch) {
  std::vector<PairLogprobs> out;
  for (const auto& p : pairs) {
    auto c = row_logprob(ctx, p.chosen, n_batch);
    if (!c) return std::unexpected(c.error());
    auto r = row_logprob(ctx, p.rejected, n_batch);
    if (!r) return std::unexpected(r.error());
    out.push_back({*c, *r});
  }
  return out;
}

Result<PreferenceStats> pair_stats(llama_context* ctx, const std::vector<Pair>& pairs,
                                   const std::vector<PairLogprobs>& reference, double beta, int n_batch) {
  auto now = score_pairs(ctx, pairs, n_batch);
  if (!now) return std::unexpected(now.error());
  std::vector<double> margins;
  for (size_t i = 0; i < pairs.size(); ++i) margins.push_back(pair_margin((*now)[i], reference[i]));
  return preference_stats(beta, margins);
}

ojson stats_json(const PreferenceStats& s) {
  return {{"pairs", s.pairs}, {"dpo_loss", s.loss}, {"accuracy", s.accuracy}, {"margin", s.margin}};
}

}  // namespace

int run_llama_opt_child(const fs::path& dir) {
  auto m = read_manifest(dir / "manifest.json");
  if (!m) return child_fail(m.error());
  const LlamaOptSettings& s = m->llama_opt;
  const bool lora = s.lora();
  std::printf("llama-opt: %s from %s: %s, %s, %d epoch(s), %s lr %g, context %d, batch %d, ubatch %d%s\n",
              m->name.c_str(), m->base_model.c_str(),
              lora ? fmt::format("LoRA rank {} alpha {} on /{}/", s.lora_rank, s.lora_alpha, s.lora_targets).c_str()
                   : "full fine-tune",
              s.objective == "dpo" ? fmt::format("DPO beta {}, rpo_alpha {}", s.dpo_beta, s.rpo_alpha).c_str() : "SFT",
              s.epochs, s.optimizer.c_str(), s.learning_rate, s.context, s.batch, s.ubatch,
              !lora && !s.tensors.empty() ? (", tensors /" + s.tensors + "/").c_str() : "");
  std::fflush(stdout);
  auto info = read_gguf_info(m->base_model);
  if (!info) return child_fail(info.error());
  // A full fine-tune changes the weights in memory; LoRA maps them (frozen). Never repacked: the
  // backward pass reads the plain layout.
  auto model =
      llm::load_model({.path = m->base_model.string(), .gpu_layers = s.gpu_layers, .writable = !lora, .repack = false});
  if (!model) return child_fail(model.error());
  const llama_vocab* vocab = llama_model_get_vocab(model->get());
  common_chat_templates_ptr templates;
  try {
    templates = common_chat_templates_init(model->get(), "");
  } catch (const std::exception& e) {
    return child_fail(Error{ErrorKind::bad_input, m->base_model.string(),
                            std::string("its chat template does not parse: ") + e.what(), ""});
  }

  llama_adapter_lora_ptr adapter;  // LoRA: freed after the context, before the model (declaration order)
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
  // llama.cpp may round the context up (the KV cache is padded); a row is what it made.
  const int n_ctx = static_cast<int>(llama_n_ctx(ctx->get()));
  const int n_batch = std::min(s.batch, n_ctx), n_ubatch = std::min(s.ubatch, n_batch);
  if (n_ctx % n_batch != 0)
    return child_fail(
        Error{ErrorKind::bad_input, "train.batch",
              fmt::format("llama.cpp made a context of {} tokens, which batch = {} does not divide", n_ctx, s.batch),
              "set [train] context to a multiple of 256 and batch to a divisor of it"});

  TrainData train, heldout;
  for (auto [role, dpo, out] :
       {std::tuple{"dpo_train", true, &train}, std::tuple{"sft_train", false, &train},
        std::tuple{"dpo_heldout", true, &heldout}, std::tuple{"sft_heldout", false, &heldout}}) {
    const FrozenFile* f = m->dataset(role);
    if (!f) continue;
    auto st = dpo ? read_dpo_file(f->path, templates.get(), vocab, n_ctx, *out)
                  : read_sft_file(f->path, templates.get(), vocab, n_ctx, *out);
    if (!st) return child_fail(st.error());
  }
  std::string objective = s.objective;
  if (objective == "dpo" && train.pairs.empty() && !train.rows.empty()) {
    std::printf("note: the train split holds no DPO pair with a rejected answer: SFT on the chosen answers\n");
    objective = "sft";
  }
  if (train.rows.empty())
    return child_fail(Error{ErrorKind::bad_input, "llama-opt", "the train split holds no conversation to train on",
                            "extract more batches, then `knowthy datasets`"});
  std::printf(
      "data: %zu train conversations, %zu train pairs, %zu held-out conversations, %zu held-out pairs; "
      "%lld kept their end only (longer than context %d)\n",
      train.rows.size(), train.pairs.size(), heldout.rows.size(), heldout.pairs.size(),
      static_cast<long long>(train.truncated + heldout.truncated), n_ctx);
  std::fflush(stdout);

  // LoRA: an adapter with B = 0 (the model unchanged), set on the context before llama_opt_init,
  // which (patched) marks its tensors as the parameters.
  if (lora) {
    auto targets = lora_targets(m->base_model, s.lora_targets);
    if (!targets) return child_fail(targets.error());
    const fs::path init = dir / "lora.init.gguf";
    if (auto st = write_initial_adapter(init, info->architecture, *targets, s.lora_rank, s.lora_alpha,
                                        static_cast<std::uint64_t>(m->id));
        !st)
      return child_fail(st.error());
    auto a = llm::apply_adapter(model->get(), ctx->get(), init.string(), m->base_model.string());
    if (!a) return child_fail(a.error());
    adapter = std::move(*a);
    std::error_code ec;
    fs::remove(init, ec);
    std::printf("lora: %zu weights, %llu trainable parameters\n", targets->size(),
                static_cast<unsigned long long>(lora_parameters(*targets, s.lora_rank)));
    std::fflush(stdout);
  }

  // ggml-opt computes on the CPU backend without llama_decode, which is where llama.cpp gives the
  // backend its thread count: without one decode first, ggml's default of 4 threads would
  // oversubscribe a 2-core machine (measured: 12x slower).
  {
    llama_token first = train.rows.front().tokens.front();
    if (llama_decode(ctx->get(), llama_batch_get_one(&first, 1)) != 0)
      return child_fail(Error{ErrorKind::failed, m->base_model.string(), "llama.cpp cannot evaluate the model", ""});
    llama_memory_clear(llama_get_memory(ctx->get()), true);
  }

  const bool dpo = objective == "dpo";
  g_run.epochs = s.epochs;
  g_run.lr = static_cast<float>(s.learning_rate);
  g_run.wd = static_cast<float>(s.weight_decay);
  g_run.lora = lora;
  g_run.tensors.emplace(s.tensors);
  llama_opt_params op{};
  op.n_ctx_train = 0;
  op.param_filter = param_filter;
  op.param_filter_ud = nullptr;
  op.get_opt_pars = optimizer_params;
  op.get_opt_pars_ud = nullptr;
  op.optimizer_type = s.optimizer == "sgd" ? GGML_OPT_OPTIMIZER_TYPE_SGD : GGML_OPT_OPTIMIZER_TYPE_ADAMW;
  // One optimizer step per conversation (sft) or per pair (dpo: its chosen and rejected rows).
  op.opt_period = static_cast<uint32_t>((dpo ? 2 : 1) * (n_ctx / n_ubatch));
  llama_opt_init(ctx->get(), model->get(), op);

  // Before: the answers' loss, and the reference log-probabilities of every pair (the starting
  // model: DPO's reference, and the baseline of the preference metrics either objective reports).
  ojson metrics;
  metrics["method"] = lora ? "lora" : "full";
  metrics["objective"] = objective;
  auto ref_train = score_pairs(ctx->get(), train.pairs, n_batch);
  if (!ref_train) return child_fail(ref_train.error());
  auto ref_heldout = score_pairs(ctx->get(), heldout.pairs, n_batch);
  if (!ref_heldout) return child_fail(ref_heldout.error());
  auto nll_train = answer_nll(ctx->get(), train.rows, n_batch);
  if (!nll_train) return child_fail(nll_train.error());
  metrics["answer_nll_train_before"] = *nll_train;
  std::optional<double> nll_heldout;
  if (!heldout.rows.empty()) {
    auto h = answer_nll(ctx->get(), heldout.rows, n_batch);
    if (!h) return child_fail(h.error());
    nll_heldout = *h;
    metrics["answer_nll_heldout_before"] = *h;
  }
  const double log2 = std::log(2.0);  // the DPO loss of a model equal to its reference
  metrics["train_loss_before"] = dpo ? log2 : *nll_train;
  if (dpo ? !heldout.pairs.empty() : nll_heldout.has_value())
    metrics["heldout_loss_before"] = dpo ? log2 : *nll_heldout;

  std::vector<const Row*> sft_rows;
  for (const auto& r : train.rows) sft_rows.push_back(&r);
  std::int64_t answer_tokens = 0;
  for (const auto& r : train.rows) answer_tokens += r.answer_tokens;

  ojson epochs = ojson::array();
  double train_seconds = 0;
  std::uint64_t train_tokens = 0;
  for (int e = 1; e <= s.epochs; ++e) {
    g_run.epoch = e;
    g_run.phase = "train";
    const auto t0 = std::chrono::steady_clock::now();
    double epoch_loss = 0, rpo_nll = 0;
    std::uint64_t tokens = 0;
    if (!dpo) {
      WeightedData d = make_dataset(sft_rows, std::vector<float>(sft_rows.size(), 1.0f), n_ctx);
      ResultPtr r_train(ggml_opt_result_init()), r_eval(ggml_opt_result_init());
      g_run.loss_scale = static_cast<double>(sft_rows.size()) * n_ctx / static_cast<double>(answer_tokens);
      llama_opt_epoch_weighted(ctx->get(), d.ds.get(), d.weights.data(), r_train.get(), r_eval.get(),
                               static_cast<int64_t>(sft_rows.size()), on_batch, nullptr);
      double loss = 0, unc = 0;
      ggml_opt_result_loss(r_train.get(), &loss, &unc);
      epoch_loss = loss * g_run.loss_scale;
      tokens = sft_rows.size() * static_cast<std::uint64_t>(n_ctx);
    } else {
      // Each pair: score it with the model as it is now, then one step weighted by w.
      for (size_t i = 0; i < train.pairs.size(); ++i) {
        const Pair& p = train.pairs[i];
        auto c = row_logprob(ctx->get(), p.chosen, n_batch);
        if (!c) return child_fail(c.error());
        auto r = row_logprob(ctx->get(), p.rejected, n_batch);
        if (!r) return child_fail(r.error());
        const double margin = pair_margin({*c, *r}, (*ref_train)[i]);
        const auto w = static_cast<float>(dpo_weight(s.dpo_beta, margin));
        // RPO: + alpha * (the chosen answer's NLL per token), whose gradient is a weight of
        // alpha / n on each of its n tokens.
        float nll_w = 0;
        if (p.chosen.answer_tokens > 0) {
          const auto n = static_cast<double>(p.chosen.answer_tokens);
          nll_w = static_cast<float>(s.rpo_alpha / n);
          rpo_nll += -*c / n;
        }
        epoch_loss += dpo_loss(s.dpo_beta, margin);
        WeightedData d = make_dataset({&p.chosen, &p.rejected}, {w + nll_w, -w}, n_ctx);
        ResultPtr r_train(ggml_opt_result_init()), r_eval(ggml_opt_result_init());
        llama_opt_epoch_weighted(ctx->get(), d.ds.get(), d.weights.data(), r_train.get(), r_eval.get(), 2, nullptr,
                                 nullptr);
        util::crash_point("llama-opt-step");
        tokens += 4 * static_cast<std::uint64_t>(n_ctx);  // two rows scored, two trained
        const auto now = std::chrono::steady_clock::now();
        if (i + 1 == train.pairs.size() || now - g_run.last_line >= std::chrono::milliseconds(500)) {
          g_run.last_line = now;
          progress_line(static_cast<int64_t>(i + 1), static_cast<int64_t>(train.pairs.size()),
                        epoch_loss / static_cast<double>(i + 1));
        }
      }
      epoch_loss /= static_cast<double>(train.pairs.size());  // the DPO loss as each pair was met
      rpo_nll /= static_cast<double>(train.pairs.size());
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    train_seconds += secs;
    train_tokens += tokens;
    ojson ep{{"epoch", e},
             {"train_loss", epoch_loss},
             {"seconds", secs},
             {"tokens_per_second", static_cast<double>(tokens) / secs}};
    if (dpo) ep["chosen_nll_per_token"] = rpo_nll;  // as each pair was met: the RPO term before its weight
    if (dpo && !heldout.pairs.empty()) {
      auto h = pair_stats(ctx->get(), heldout.pairs, *ref_heldout, s.dpo_beta, n_batch);
      if (!h) return child_fail(h.error());
      ep["heldout_loss"] = h->loss;
    } else if (!dpo && !heldout.rows.empty()) {
      auto h = answer_nll(ctx->get(), heldout.rows, n_batch);
      if (!h) return child_fail(h.error());
      ep["heldout_loss"] = *h;
    }
    std::printf("epoch %d/%d: train loss %.4f%s, %.0f tokens/s\n", e, s.epochs, epoch_loss,
                ep.contains("heldout_loss")
                    ? fmt::format(", held-out loss {:.4f}", ep["heldout_loss"].get<double>()).c_str()
                    : "",
                static_cast<double>(tokens) / secs);
    std::fflush(stdout);
    epochs.push_back(ep);
  }

  // After: the same measures, on the trained model.
  auto after_train = pair_stats(ctx->get(), train.pairs, *ref_train, s.dpo_beta, n_batch);
  if (!after_train) return child_fail(after_train.error());
  auto nll_after = answer_nll(ctx->get(), train.rows, n_batch);
  if (!nll_after) return child_fail(nll_after.error());
  metrics["answer_nll_train_after"] = *nll_after;
  if (!heldout.rows.empty()) {
    auto h = answer_nll(ctx->get(), heldout.rows, n_batch);
    if (!h) return child_fail(h.error());
    metrics["answer_nll_heldout_after"] = *h;
  }
  metrics["preference_train"] = stats_json(*after_train);
  std::optional<PreferenceStats> after_heldout;
  if (!heldout.pairs.empty()) {
    auto h = pair_stats(ctx->get(), heldout.pairs, *ref_heldout, s.dpo_beta, n_batch);
    if (!h) return child_fail(h.error());
    after_heldout = *h;
    metrics["preference_heldout"] = stats_json(*h);
  }
  metrics["train_loss_after"] = dpo ? after_train->loss : *nll_after;
  if (metrics.contains("heldout_loss_before"))
    metrics["heldout_loss_after"] = dpo ? after_heldout->loss : metrics["answer_nll_heldout_after"].get<double>();
  metrics["epochs"] = epochs;
  metrics["train_conversations"] = train.rows.size();
  metrics["train_pairs"] = train.pairs.size();
  metrics["train_answer_tokens"] = answer_tokens;
  metrics["train_tokens_per_epoch"] = train_tokens / static_cast<std::uint64_t>(s.epochs);
  metrics["context"] = n_ctx;
  metrics["truncated_conversations"] = train.truncated + heldout.truncated;
  metrics["heldout_conversations"] = heldout.rows.size();
  metrics["heldout_pairs"] = heldout.pairs.size();
  metrics["tokens_per_second"] = train_seconds > 0 ? static_cast<double>(train_tokens) / train_seconds : 0.0;
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  metrics["peak_rss_bytes"] = static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
  {
    LlamaOptSettings planned = s;
    planned.context = n_ctx;
    std::uint64_t lp = 0;
    if (lora)
      if (auto t = lora_targets(m->base_model, s.lora_targets)) lp = lora_parameters(*t, s.lora_rank);
    metrics["memory_estimate_bytes"] = estimate_training_memory(*info, planned, lp).total;
  }

  std::error_code ec;
  fs::create_directories(m->output_dir, ec);
  fs::path out;
  if (lora) {
    out = m->output_dir / "adapter.gguf";
    if (auto st = save_adapter(adapter.get(), info->architecture, s.lora_alpha, out); !st)
      return child_fail(st.error());
  } else {
    out = m->output_dir / "model.gguf";
    const fs::path tmp = m->output_dir / "model.gguf.tmp";
    llama_model_save_to_file(model->get(), tmp.c_str());
    if (auto st = restore_base_metadata(m->base_model, tmp); !st) return child_fail(st.error());
    fs::rename(tmp, out, ec);
    if (ec) return child_fail(Error{ErrorKind::failed, out.string(), "cannot be written: " + ec.message(), ""});
  }
  if (auto st = util::write_file_atomic(dir / "metrics.json", metrics.dump(2) + "\n"); !st)
    return child_fail(st.error());
  std::printf("saved %s: train loss %.4f -> %.4f\n", out.c_str(), metrics["train_loss_before"].get<double>(),
              metrics["train_loss_after"].get<double>());
  return 0;
}

}  // namespace knowthy::train
