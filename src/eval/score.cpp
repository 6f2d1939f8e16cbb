#include "eval/score.hpp"

#include <fmt/format.h>

#include <chat.h>
#include <common.h>
#include <llama.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "llm/engine.hpp"
#include "util/crash_point.hpp"
#include "util/fs.hpp"

namespace knowthy::eval {

namespace fs = std::filesystem;
using nlohmann::json;
using ojson = nlohmann::ordered_json;

json ModelRef::to_json() const { return json{{"path", path}, {"adapter", adapter}}; }

ModelRef ModelRef::from_json(const json& j) { return {j.value("path", ""), j.value("adapter", "")}; }

namespace {

struct BatchFree {
  void operator()(llama_batch* b) const noexcept {
    llama_batch_free(*b);
    delete b;
  }
};

struct Tokenized {
  std::vector<llama_token> toks;
  size_t first = 0;  // index of the first completion token
  bool truncated = false;
};

Result<std::vector<Tokenized>> tokenize_items(const llama_model* model, std::span<const ScoreItem> items,
                                              const std::string& chat_template) {
  const llama_vocab* vocab = llama_model_get_vocab(model);
  common_chat_templates_ptr templates;
  std::vector<Tokenized> out;
  out.reserve(items.size());
  const std::vector<llama_token> start = common_tokenize(vocab, "", true, false);
  for (const auto& item : items) {
    Tokenized t;
    std::vector<llama_token> prefix;
    if (item.prompt) {
      if (!templates) {
        try {
          templates = common_chat_templates_init(model, chat_template);
        } catch (const std::exception& e) {
          return bad_input("chat template", std::string("does not parse: ") + e.what());
        }
      }
      std::vector<llm::Message> conversation = *item.prompt;
      conversation.push_back({"assistant", item.completion});
      try {
        prefix = common_tokenize(vocab, llm::render_chat(templates.get(), *item.prompt, true), true, true);
        t.toks = common_tokenize(vocab, llm::render_chat(templates.get(), conversation, false), true, true);
      } catch (const std::exception& e) {
        return bad_input("chat template", std::string("fails: ") + e.what());
      }
    } else {
      // A plain text (a tweet): special-token text in it is text, not control tokens.
      prefix = start;
      t.toks = common_tokenize(vocab, item.completion, true, false);
    }
    // The completion is what follows the prompt's own tokens; the first token of a sequence has
    // nothing before it to be predicted from.
    t.first = std::max<size_t>(1, llm::common_prefix(prefix, t.toks));
    out.push_back(std::move(t));
  }
  return out;
}

// Cuts a sequence longer than `limit` from the front of its prompt (the first token kept), then,
// if the completion alone is too long, from its end.
void fit(Tokenized& t, size_t limit) {
  if (t.toks.size() <= limit) return;
  t.truncated = true;
  const size_t excess = t.toks.size() - limit;
  const size_t drop = std::min(excess, t.first > 1 ? t.first - 1 : 0);
  t.toks.erase(t.toks.begin() + 1, t.toks.begin() + 1 + static_cast<std::ptrdiff_t>(drop));
  t.first -= drop;
  if (t.toks.size() > limit) t.toks.resize(limit);
}

}  // namespace

Result<ScoreRun> score_items(const ModelRef& ref, std::span<const ScoreItem> items, const ScorerOptions& o,
                             const std::function<void(size_t, size_t)>& progress) {
  llm::init_llama();
  auto model = llm::load_model({.path = ref.path, .gpu_layers = o.gpu_layers});
  if (!model) return std::unexpected(model.error());
  auto tokenized = tokenize_items(model->get(), items, o.chat_template);
  if (!tokenized) return std::unexpected(tokenized.error());
  auto& seqs = *tokenized;

  // Not capped by the model's training context: both models of an evaluation must score the same
  // tokens, and a trainer may save a shorter one (llama-opt writes its training context).
  size_t longest = 2;
  for (const auto& t : seqs) longest = std::max(longest, t.toks.size());
  const size_t limit = o.context > 0 ? std::min(longest, static_cast<size_t>(o.context)) : longest;
  for (auto& t : seqs) fit(t, limit);

  // One cache shared by up to k_seqs sequences: a round is as many items as fit in it, decoded in
  // batches of `batch` tokens; the cache is cleared between rounds.
  const int batch = std::max(1, o.batch);
  const int k_seqs = std::min(64, batch);  // llama.cpp needs a batch's worth of outputs per sequence
  const int n_ctx = static_cast<int>(std::max<size_t>(limit, static_cast<size_t>(batch)));
  auto ctx = llm::make_context(model->get(),
                               {.n_ctx = n_ctx,
                                .n_batch = batch,
                                .n_ubatch = std::min(batch, 512),
                                .n_seq = k_seqs,
                                .threads = o.threads,
                                .kv_unified = true,
                                .f32_cache = false},
                               ref.path);
  if (!ctx) return std::unexpected(ctx.error());
  llama_adapter_lora_ptr adapter;
  if (!ref.adapter.empty()) {
    auto a = llm::apply_adapter(model->get(), ctx->get(), ref.adapter, ref.path);
    if (!a) return std::unexpected(a.error());
    adapter = std::move(*a);
  }
  const size_t capacity = llama_n_ctx(ctx->get());
  const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model->get()));
  std::unique_ptr<llama_batch, BatchFree> b(new llama_batch(llama_batch_init(batch, 0, 1)));
  llama_memory_t mem = llama_get_memory(ctx->get());

  ScoreRun run;
  run.context = static_cast<int>(limit);
  if (!o.chat_template.empty()) {
    run.chat_template = o.chat_template;
  } else if (const char* t = llama_model_chat_template(model->get(), nullptr)) {
    run.chat_template = t;
  }
  run.items.resize(items.size());
  for (size_t i = 0; i < seqs.size(); ++i) run.items[i].truncated = seqs[i].truncated;
  const auto t0 = std::chrono::steady_clock::now();
  struct Want {
    size_t item, pos;
  };
  std::vector<Want> wants;  // the batch rows whose logits are read
  // An item whose prompt starts as the one before it does (a pair's chosen and rejected answers;
  // every batch's system prompt) copies those cells of the cache instead of decoding them again,
  // when both are in the same round. Short shares are not worth ending a batch early for.
  constexpr size_t k_min_share = 32;
  std::vector<size_t> share(seqs.size(), 0);
  for (size_t i = 1; i < seqs.size(); ++i) {
    const size_t s = std::min(llm::common_prefix(seqs[i - 1].toks, seqs[i].toks), seqs[i].first - 1);
    if (s >= k_min_share) share[i] = s;
  }
  for (const auto& t : seqs) run.tokens_text += t.toks.size();
  for (size_t next = 0; next < seqs.size();) {
    size_t end = next, used = 0;
    while (end < seqs.size() && end - next < static_cast<size_t>(k_seqs)) {
      const size_t cost = seqs[end].toks.size() - (end > next ? share[end] : 0);
      if (used + cost > capacity) break;
      used += cost;
      ++end;
    }
    if (end == next) ++end;  // cannot happen (limit <= capacity); never loop forever
    // Every token of the round, sequence after sequence, in batches.
    size_t item = next, pos = 0;
    bool started = false;
    while (item < end) {
      common_batch_clear(*b);
      wants.clear();
      while (item < end && b->n_tokens < batch) {
        const auto& t = seqs[item];
        const auto seq = static_cast<llama_seq_id>(item - next);
        if (!started) {
          const size_t s = item > next ? share[item] : 0;
          if (s > 0) {
            if (b->n_tokens > 0) break;  // the cells it copies must be decoded first
            llama_memory_seq_cp(mem, seq - 1, seq, 0, static_cast<llama_pos>(s));
          }
          pos = s;
          started = true;
        }
        if (pos >= t.toks.size()) {
          ++item, started = false;
          continue;
        }
        const bool want = pos + 1 >= t.first && pos + 1 < t.toks.size();
        if (want) wants.push_back({item, pos});
        common_batch_add(*b, t.toks[pos], static_cast<llama_pos>(pos), {seq}, want);
        ++pos;
      }
      if (b->n_tokens == 0) continue;
      if (int rc = llama_decode(ctx->get(), *b); rc != 0)
        return fail("llama_decode", fmt::format("scoring failed (code {})", rc), "lower [eval] batch or context");
      run.tokens_evaluated += static_cast<std::uint64_t>(b->n_tokens);
      int row = 0;
      for (int r = 0; r < b->n_tokens; ++r) {
        if (!b->logits[r]) continue;
        const Want& w = wants[static_cast<size_t>(row++)];
        const float* logits = llama_get_logits_ith(ctx->get(), r);
        run.items[w.item].logprob += llm::token_logprob(logits, n_vocab, seqs[w.item].toks[w.pos + 1]);
        run.items[w.item].tokens += 1;
      }
      if (progress) progress(item, seqs.size());
    }
    llama_memory_clear(mem, true);
    next = end;
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return run;
}

Status write_items(const fs::path& path, std::span<const ScoreItem> items) {
  std::string out;
  for (const auto& it : items) {
    ojson line;
    if (it.prompt) {
      line["prompt"] = ojson::array();
      for (const auto& m : *it.prompt) line["prompt"].push_back({{"role", m.role}, {"content", m.content}});
    } else {
      line["prompt"] = nullptr;
    }
    line["completion"] = it.completion;
    out += line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  }
  return util::write_file_atomic(path, out);
}

Status write_score_request(const fs::path& path, const ScoreRequest& r) {
  ojson models = ojson::array();
  for (const auto& [name, ref] : r.models)
    models.push_back({{"name", name}, {"path", ref.path}, {"adapter", ref.adapter}});
  ojson j{{"items", r.items.string()},
          {"models", models},
          {"context", r.options.context},
          {"batch", r.options.batch},
          {"threads", r.options.threads},
          {"gpu_layers", r.options.gpu_layers},
          {"chat_template", r.options.chat_template},
          {"output", r.output.string()}};
  return util::write_file_atomic(path, j.dump(2) + "\n");
}

namespace {

int child_fail(const Error& e) {
  std::fprintf(stderr, "%s\n", format_error(e).c_str());
  return exit_code(e);
}

Result<std::vector<ScoreItem>> read_items(const fs::path& path) {
  std::ifstream f(path);
  if (!f) return fail(path.string(), "cannot be read");
  std::vector<ScoreItem> out;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    const json j = json::parse(line, nullptr, false);
    if (!j.is_object()) return bad_input(path.string(), "holds a line that is not a JSON object");
    ScoreItem it;
    if (j.contains("prompt") && j["prompt"].is_array()) {
      it.prompt.emplace();
      for (const auto& m : j["prompt"]) it.prompt->push_back({m.value("role", ""), m.value("content", "")});
    }
    it.completion = j.value("completion", "");
    out.push_back(std::move(it));
  }
  return out;
}

}  // namespace

int run_score_child(const fs::path& request) {
  auto text = util::read_file(request);
  if (!text) return child_fail(text.error());
  const json r = json::parse(*text, nullptr, false);
  if (!r.is_object()) return child_fail(Error{ErrorKind::bad_input, request.string(), "is not JSON", ""});
  ScorerOptions o{.context = r.value("context", 0),
                  .batch = r.value("batch", 2048),
                  .threads = r.value("threads", 0),
                  .gpu_layers = r.value("gpu_layers", 999),
                  .chat_template = r.value("chat_template", "")};
  auto items = read_items(r.value("items", ""));
  if (!items) return child_fail(items.error());
  ojson out{{"models", ojson::object()}};
  for (const auto& m : r.value("models", json::array())) {
    const std::string name = m.value("name", "");
    const ModelRef ref = ModelRef::from_json(m);
    std::printf("scoring %zu items with %s: %s%s\n", items->size(), name.c_str(), ref.path.c_str(),
                ref.adapter.empty() ? "" : (" + adapter " + ref.adapter).c_str());
    std::fflush(stdout);
    auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    auto run = score_items(ref, *items, o, [&](size_t done, size_t total) {
      util::crash_point("eval-score");
      const auto now = std::chrono::steady_clock::now();
      if (done != total && now - last < std::chrono::milliseconds(500)) return;
      last = now;
      std::printf("progress model=%s done=%zu total=%zu\n", name.c_str(), done, total);
      std::fflush(stdout);
    });
    if (!run) return child_fail(run.error());
    if (o.chat_template.empty()) o.chat_template = run->chat_template;
    ojson s{{"logprob", ojson::array()},
            {"tokens", ojson::array()},
            {"truncated", 0},
            {"tokens_evaluated", run->tokens_evaluated},
            {"tokens_text", run->tokens_text},
            {"seconds", run->seconds},
            {"context", run->context}};
    int truncated = 0;
    for (const auto& it : run->items) {
      s["logprob"].push_back(it.logprob);
      s["tokens"].push_back(it.tokens);
      truncated += it.truncated;
    }
    s["truncated"] = truncated;
    std::printf("%s: %llu tokens of text (%llu decoded) in %.2f s (%.0f tokens/s)\n", name.c_str(),
                static_cast<unsigned long long>(run->tokens_text),
                static_cast<unsigned long long>(run->tokens_evaluated), run->seconds,
                run->seconds > 0 ? static_cast<double>(run->tokens_text) / run->seconds : 0.0);
    std::fflush(stdout);
    out["models"][name] = std::move(s);
  }
  if (auto st = util::write_file_atomic(r.value("output", ""), out.dump() + "\n"); !st) return child_fail(st.error());
  return 0;
}

}  // namespace knowthy::eval
