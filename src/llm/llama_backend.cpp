#include "llm/llama_backend.hpp"

#include <fmt/format.h>

#include <chat.h>
#include <common.h>
#include <json-schema-to-grammar.h>
#include <llama-cpp.h>
#include <log.h>
#include <sampling.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "llm/engine.hpp"
#include "llm/grammar.hpp"
#include "util/text.hpp"

namespace knowthy::llm {

namespace {

struct BatchFree {
  void operator()(llama_batch* b) const noexcept {
    llama_batch_free(*b);
    delete b;
  }
};

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

// A request a slot served and its answer, so that a continuation (the same conversation, that
// answer as an assistant message, new messages) reuses the cache whatever the answer holds.
struct Turn {
  std::vector<Message> messages;    // the conversation
  std::string prompt_text;          // rendered
  std::vector<llama_token> prompt;  // its tokens
  std::vector<llama_token> answer;  // every token sampled for the answer, as sampled (the last one
                                    // of a cut-off answer was never decoded)
  std::string answer_text;          // the answer as returned
  std::string answer_tail;          // answer text past the last whole token (a stop string cut it)
};

// One KV-cache sequence and what it holds.
struct Slot {
  llama_seq_id seq = 0;
  std::vector<llama_token> tokens;  // evaluated into the cache, in order
  std::string session;
  std::uint64_t last_used = 0;
  // The last turn served, then the turn it continued (if it did): a retry of a continuation
  // continues the same earlier turn again.
  std::vector<Turn> turns;
};

// Stands for the earlier answer when a continuation is rendered: what the template writes
// before and after it is found without comparing the answer's text with the cache.
constexpr std::string_view k_answer_marker = "KNOWTHYANSWERMARK7F3A9C";

struct LlamaBackend::Impl {
  LlamaOptions opt;
  llama_model_ptr model;
  llama_adapter_lora_ptr adapter;  // freed after the context and before the model (member order)
  llama_context_ptr ctx;
  common_chat_templates_ptr templates;
  const llama_vocab* vocab = nullptr;
  bool has_template = false;
  int n_ctx_seq = 0;
  int n_batch = 0;
  std::vector<Slot> slots;
  std::uint64_t tick = 0;
  EngineCounters counters;
  std::unique_ptr<llama_batch, BatchFree> batch;

  std::vector<llama_token> tokenize(const std::string& text, bool add_special) const {
    auto toks = common_tokenize(vocab, text, add_special, true);
    // Templates that write the BOS text themselves would otherwise get it twice.
    if (add_special && toks.size() >= 2 && toks[0] == toks[1] && toks[0] == llama_vocab_bos(vocab))
      toks.erase(toks.begin());
    return toks;
  }

  std::string pieces(const std::vector<llama_token>& toks, size_t from = 0) const {
    std::string s;
    for (size_t i = from; i < toks.size(); ++i) s += common_token_to_piece(vocab, toks[i], true);
    return s;
  }

  // Tokens for `suffix` appended to text already in the cache, only if they spell it exactly.
  // SentencePiece tokenizers prefix a space to the first word: a lone "▁" is dropped, and a
  // suffix starting mid-word (the last answer token of a cut-off answer) is tokenized behind a
  // newline, which never merges with what follows, and the newline's tokens dropped.
  std::optional<std::vector<llama_token>> tokenize_suffix(const std::string& suffix) const {
    auto toks = common_tokenize(vocab, suffix, false, true);
    std::string spelled = pieces(toks);
    if (spelled == suffix) return toks;
    if (!toks.empty() && spelled == " " + suffix && common_token_to_piece(vocab, toks[0], true) == " ") {
      toks.erase(toks.begin());
      return toks;
    }
    toks = common_tokenize(vocab, "\n" + suffix, false, true);
    std::string lead;
    for (size_t k = 0; k < toks.size() && k < 3; ++k) {
      lead += common_token_to_piece(vocab, toks[k], true);
      if (lead == "\n" || lead == " \n") {
        std::vector<llama_token> rest(toks.begin() + static_cast<std::ptrdiff_t>(k + 1), toks.end());
        if (pieces(rest) == suffix) return rest;
        break;
      }
    }
    return std::nullopt;
  }

  Slot& pick_slot(const std::string& session, const std::vector<llama_token>* tokens, std::vector<bool>& taken) {
    Slot* best = nullptr;
    if (!session.empty())
      for (auto& s : slots)
        if (!taken[s.seq] && s.session == session) best = &s;
    size_t best_prefix = 0;
    if (!best && tokens)
      for (auto& s : slots) {
        if (taken[s.seq]) continue;
        size_t p = common_prefix(s.tokens, *tokens);
        if (p > best_prefix) best_prefix = p, best = &s;
      }
    if (!best)
      for (auto& s : slots)
        if (!taken[s.seq] && (!best || s.last_used < best->last_used)) best = &s;
    taken[best->seq] = true;
    best->last_used = ++tick;
    return *best;
  }

  // Drops what the slot holds beyond `keep` tokens. (Its turns may stay: a continuation's prompt is
  // built from a turn's own tokens and reuses what is still cached by common prefix.)
  void truncate(Slot& s, size_t keep) {
    if (keep < s.tokens.size()) {
      llama_memory_seq_rm(llama_get_memory(ctx.get()), s.seq, static_cast<llama_pos>(keep), -1);
      s.tokens.resize(keep);
    }
  }

  // The prompt of `rq` when it continues a turn slot `s` served: that turn's messages, its answer
  // as an assistant message, then new ones. It is the turn's prompt tokens, then the answer's
  // tokens exactly as sampled (control tokens and byte pieces included, so nothing is
  // re-tokenized), then the tokens of the text the template puts after the answer. `turn`
  // receives which of the slot's turns it continues. nullopt when `rq` continues none.
  std::optional<std::vector<llama_token>> continuation(const Slot& s, const ChatRequest& rq, size_t& turn) const {
    if (rq.session.empty() || rq.session != s.session) return std::nullopt;
    for (turn = 0; turn < s.turns.size(); ++turn)
      if (auto toks = continue_turn(s.turns[turn], rq)) return toks;
    return std::nullopt;
  }

  std::optional<std::vector<llama_token>> continue_turn(const Turn& t, const ChatRequest& rq) const {
    const size_t n = t.messages.size();
    if (rq.messages.size() <= n + 1) return std::nullopt;
    for (size_t i = 0; i < n; ++i)
      if (rq.messages[i].role != t.messages[i].role || rq.messages[i].content != t.messages[i].content)
        return std::nullopt;
    if (rq.messages[n].role != "assistant" || rq.messages[n].content != t.answer_text) return std::nullopt;
    std::vector<Message> marked = rq.messages;
    marked[n].content = std::string(k_answer_marker);
    std::string text;
    try {
      text = render_chat(templates.get(), marked, true);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    const size_t at = text.find(k_answer_marker);
    if (at != t.prompt_text.size() || text.compare(0, at, t.prompt_text) != 0 ||
        text.find(k_answer_marker, at + 1) != std::string::npos)
      return std::nullopt;
    const std::string after = t.answer_tail + text.substr(at + k_answer_marker.size());
    auto suffix = tokenize_suffix(after);
    if (!suffix) suffix = common_tokenize(vocab, after, false, true);  // near enough; the cache still counts
    std::vector<llama_token> out = t.prompt;
    out.insert(out.end(), t.answer.begin(), t.answer.end());
    out.insert(out.end(), suffix->begin(), suffix->end());
    return out;
  }

  int decode() {
    ++counters.decode_calls;
    return llama_decode(ctx.get(), *batch);
  }

  void batch_add(llama_token t, llama_pos pos, llama_seq_id seq, bool logits) {
    llama_batch& b = *batch;
    b.token[b.n_tokens] = t;
    b.pos[b.n_tokens] = pos;
    b.n_seq_id[b.n_tokens] = 1;
    b.seq_id[b.n_tokens][0] = seq;
    b.logits[b.n_tokens] = logits;
    ++b.n_tokens;
  }
};

LlamaBackend::LlamaBackend(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
LlamaBackend::~LlamaBackend() = default;

Result<std::unique_ptr<LlamaBackend>> LlamaBackend::load(const LlamaOptions& o) {
  if (o.parallel < 1 || o.parallel > 64) return bad_input("model.parallel", "must be between 1 and 64");
  if (o.context < 64) return bad_input("model.context", "must be at least 64 tokens");
  auto model = load_model({.path = o.model_path, .gpu_layers = o.gpu_layers, .writable = false, .repack = true});
  if (!model) return std::unexpected(model.error());

  auto impl = std::make_unique<Impl>();
  impl->opt = o;
  impl->model = std::move(*model);
  impl->vocab = llama_model_get_vocab(impl->model.get());

  const int n_train = llama_model_n_ctx_train(impl->model.get());
  impl->n_ctx_seq = n_train > 0 ? std::min(o.context, n_train) : o.context;
  impl->n_batch = std::max(32, o.batch);
  auto ctx = make_context(impl->model.get(),
                          {.n_ctx = impl->n_ctx_seq * o.parallel,
                           .n_batch = impl->n_batch,
                           .n_ubatch = impl->n_batch,
                           .n_seq = o.parallel,
                           .threads = o.threads,
                           .kv_unified = false,  // one cache stream per sequence: conversations share no prefix
                           .f32_cache = false},
                          o.model_path);
  if (!ctx) {
    auto e = ctx.error();
    e.hint = "lower [model] context or parallel";
    return std::unexpected(e);
  }
  impl->ctx = std::move(*ctx);
  if (!o.adapter.empty()) {
    auto adapter = apply_adapter(impl->model.get(), impl->ctx.get(), o.adapter, o.model_path);
    if (!adapter) return std::unexpected(adapter.error());
    impl->adapter = std::move(*adapter);
  }
  impl->n_ctx_seq = static_cast<int>(llama_n_ctx_seq(impl->ctx.get()));

  impl->has_template = llama_model_chat_template(impl->model.get(), nullptr) != nullptr;
  try {
    impl->templates = common_chat_templates_init(impl->model.get(), o.chat_template);
  } catch (const std::exception& e) {
    return bad_input(o.model_path, std::string("its chat template does not parse: ") + e.what(),
                     "set [model] chat_template to a template that works");
  }
  impl->batch.reset(new llama_batch(llama_batch_init(impl->n_batch, 0, 1)));
  impl->slots.resize(static_cast<size_t>(o.parallel));
  for (int i = 0; i < o.parallel; ++i) impl->slots[static_cast<size_t>(i)].seq = i;
  return std::unique_ptr<LlamaBackend>(new LlamaBackend(std::move(impl)));
}

BackendInfo LlamaBackend::info() const {
  return BackendInfo{"llama", m_impl->opt.model_path, m_impl->n_ctx_seq, m_impl->has_template, m_impl->opt.parallel};
}

const EngineCounters& LlamaBackend::counters() const { return m_impl->counters; }

Result<std::string> LlamaBackend::render(std::span<const Message> messages) const {
  try {
    return render_chat(m_impl->templates.get(), messages, true);
  } catch (const std::exception& e) {
    return fail("chat template", e.what(), "set [model] chat_template to a template that works");
  }
}

std::optional<int> LlamaBackend::count_tokens(std::span<const Message> messages) {
  auto text = render(messages);
  if (!text) return std::nullopt;
  return static_cast<int>(m_impl->tokenize(*text, true).size());
}

namespace {

// One request being served by one slot.
struct Active {
  size_t index = 0;  // into the requests
  Slot* slot = nullptr;
  const ChatRequest* request = nullptr;
  std::vector<llama_token> prompt;
  std::string prompt_text;
  common_sampler_ptr sampler;
  llama_token next = -1;            // sampled, not yet decoded
  int out_index = -1;               // its logits' row in the current batch
  size_t fed = 0;                   // prompt tokens in the cache or in batches so far
  std::vector<llama_token> answer;  // sampled, in order
  std::vector<size_t> answer_ends;  // the answer text's length after each of them
  Completion c;
  bool done = false;
  bool failed = false;
};

}  // namespace

std::vector<Result<Completion>> LlamaBackend::generate(std::span<const ChatRequest> requests) {
  std::vector<Result<Completion>> results(requests.size(), fail("generate", "not run"));
  Impl& m = *m_impl;
  const size_t par = m.slots.size();
  for (size_t start = 0; start < requests.size(); start += par) {
    const size_t end = std::min(requests.size(), start + par);
    std::vector<Active> act;
    std::vector<bool> taken(par, false);
    auto t0 = Clock::now();
    // Continuations first, so that a new conversation never takes the slot another request of
    // the same call continues.
    std::vector<Slot*> cont_slot(end - start, nullptr);
    std::vector<std::vector<llama_token>> cont_prompt(end - start);
    std::vector<size_t> cont_turn(end - start, 0);
    for (size_t i = start; i < end; ++i)
      for (auto& s : m.slots)
        if (!cont_slot[i - start] && !taken[s.seq])
          if (auto cont = m.continuation(s, requests[i], cont_turn[i - start])) {
            cont_slot[i - start] = &s;
            cont_prompt[i - start] = std::move(*cont);
            taken[s.seq] = true;
          }
    for (size_t i = start; i < end; ++i) {
      const ChatRequest& rq = requests[i];
      auto text = render(rq.messages);
      if (!text) {
        results[i] = std::unexpected(text.error());
        continue;
      }
      common_params_sampling sp;
      sp.temp = rq.options.temperature;
      sp.seed = rq.options.seed;
      sp.no_perf = true;
      // Only the samplers that do something: the default chain also runs no-op penalties, DRY,
      // XTC and typical-p over the whole vocabulary for every token, which shows on small models.
      if (rq.options.temperature <= 0) {
        sp.samplers = {COMMON_SAMPLER_TYPE_TOP_K};
        sp.top_k = 1;  // greedy
      } else {
        sp.samplers = {COMMON_SAMPLER_TYPE_TOP_K, COMMON_SAMPLER_TYPE_TOP_P, COMMON_SAMPLER_TYPE_MIN_P,
                       COMMON_SAMPLER_TYPE_TEMPERATURE};
      }
      if (rq.options.ignore_eos)
        for (llama_token t = 0; t < llama_vocab_n_tokens(m.vocab); ++t)
          if (llama_vocab_is_eog(m.vocab, t)) sp.logit_bias.push_back({t, -INFINITY});
      if (!rq.options.grammar.empty()) {
        sp.grammar = common_grammar(COMMON_GRAMMAR_TYPE_USER, rq.options.grammar);
      } else if (!rq.options.json_schema.empty()) {
        auto g = schema_grammar(rq.options.json_schema);
        if (!g) {
          results[i] = std::unexpected(g.error());
          continue;
        }
        sp.grammar = common_grammar(COMMON_GRAMMAR_TYPE_USER, *g);
      }
      Active a;
      a.sampler.reset(common_sampler_init(m.model.get(), sp));
      if (!a.sampler) {
        results[i] = bad_input("sampler", "llama.cpp could not build the sampler from the grammar",
                               "set KNOWTHY_LLAMA_LOG=1 to see llama.cpp's reason");
        continue;
      }
      a.index = i;
      a.request = &rq;
      Slot* slot = cont_slot[i - start];
      if (slot)
        a.prompt = std::move(cont_prompt[i - start]);
      else
        a.prompt = m.tokenize(*text, true);
      const long long need = static_cast<long long>(a.prompt.size()) + 1 +
                             (rq.options.fit_reserve >= 0 ? rq.options.max_tokens + rq.options.fit_reserve : 0);
      if (a.prompt.empty() || need > m.n_ctx_seq) {
        const std::string more = rq.options.fit_reserve < 0
                                     ? ""
                                     : fmt::format(", up to {} for the answer and {} more after it",
                                                   rq.options.max_tokens, rq.options.fit_reserve);
        results[i] = bad_input(
            "prompt",
            fmt::format("{} tokens{} do not fit the context of {} tokens", a.prompt.size(), more, m.n_ctx_seq),
            "raise [model] context, or give the model fewer tweets per batch");
        continue;
      }
      if (slot) {
        slot->last_used = ++m.tick;
      } else {
        slot = &m.pick_slot(rq.session, &a.prompt, taken);
      }
      a.slot = slot;
      a.prompt_text = std::move(*text);
      // At least the last prompt token is evaluated: its logits give the first answer token.
      const size_t keep = std::min(common_prefix(slot->tokens, a.prompt), a.prompt.size() - 1);
      m.truncate(*slot, keep);
      // The turn this request continues stays, as the one a retry would continue again.
      if (cont_slot[i - start] == slot) {
        Turn parent = std::move(slot->turns[cont_turn[i - start]]);
        slot->turns.clear();
        slot->turns.push_back(std::move(parent));
      } else {
        slot->turns.clear();
      }
      slot->session = rq.session.empty() ? new_session_id("llama") : rq.session;
      a.c.session = slot->session;
      a.c.prompt_tokens = static_cast<int>(a.prompt.size());
      a.c.prompt_tokens_evaluated = static_cast<int>(a.prompt.size() - keep);
      m.counters.prompt_tokens += a.prompt.size();
      m.counters.prompt_evaluated += a.prompt.size() - keep;
      a.fed = keep;
      act.push_back(std::move(a));
    }

    auto fail_all = [&](const std::string& why) {
      for (auto& a : act) {
        if (a.done) continue;
        a.done = a.failed = true;
        results[a.index] = fail("llama_decode", why);
        m.truncate(*a.slot, 0);
        a.slot->session.clear();
        a.slot->turns.clear();
      }
    };

    // Prompts: every sequence's new tokens, packed into shared batches; logits for the last one.
    for (bool pending = true; pending;) {
      common_batch_clear(*m.batch);
      pending = false;
      for (auto& a : act) {
        a.out_index = -1;
        while (a.fed < a.prompt.size() && m.batch->n_tokens < m.n_batch) {
          const bool last = a.fed + 1 == a.prompt.size();
          if (last) a.out_index = m.batch->n_tokens;
          m.batch_add(a.prompt[a.fed], static_cast<llama_pos>(a.fed), a.slot->seq, last);
          ++a.fed;
        }
        if (a.fed < a.prompt.size()) pending = true;
      }
      if (m.batch->n_tokens == 0) break;
      if (int rc = m.decode(); rc != 0) {
        fail_all("decoding the prompt failed (code " + std::to_string(rc) + ")");
        break;
      }
      for (auto& a : act)
        if (a.out_index >= 0 && !a.done) {
          a.next = common_sampler_sample(a.sampler.get(), m.ctx.get(), a.out_index);
          common_sampler_accept(a.sampler.get(), a.next, true);
        }
    }
    const double prompt_ms = ms_since(t0);
    for (auto& a : act)
      if (!a.done) a.slot->tokens = a.prompt;  // the cache now holds exactly the prompt

    // Generation: one token per live sequence per decode.
    auto t1 = Clock::now();
    for (;;) {
      common_batch_clear(*m.batch);
      for (auto& a : act) {
        if (a.done) continue;
        const GenerateOptions& o = a.request->options;
        if (llama_vocab_is_eog(m.vocab, a.next)) {
          a.done = true;
          continue;
        }
        a.c.text += common_token_to_piece(m.vocab, a.next, false);
        a.answer.push_back(a.next);
        a.answer_ends.push_back(a.c.text.size());
        ++a.c.completion_tokens;
        ++m.counters.generated;
        bool stopped = false;
        for (const auto& s : o.stop) {
          if (s.empty()) continue;
          // Only the tail can newly contain a stop string.
          size_t from = a.c.text.size() > s.size() + 64 ? a.c.text.size() - s.size() - 64 : 0;
          if (auto p = a.c.text.find(s, from); p != std::string::npos) {
            a.c.text.resize(p);
            stopped = true;
            break;
          }
        }
        if (stopped) {
          a.done = true;
          continue;
        }
        if (a.c.completion_tokens >= o.max_tokens || static_cast<int>(a.slot->tokens.size()) + 1 >= m.n_ctx_seq) {
          a.c.finish = FinishReason::length;
          a.done = true;
          continue;
        }
        a.out_index = m.batch->n_tokens;
        m.batch_add(a.next, static_cast<llama_pos>(a.slot->tokens.size()), a.slot->seq, true);
        a.slot->tokens.push_back(a.next);
      }
      if (m.batch->n_tokens == 0) break;
      if (int rc = m.decode(); rc != 0) {
        fail_all("decoding failed (code " + std::to_string(rc) + ")");
        break;
      }
      for (auto& a : act)
        if (!a.done) {
          a.next = common_sampler_sample(a.sampler.get(), m.ctx.get(), a.out_index);
          common_sampler_accept(a.sampler.get(), a.next, true);
        }
    }
    const double gen_ms = ms_since(t1);
    for (auto& a : act) {
      if (a.failed) continue;
      // What a continuation of this conversation needs: the answer's tokens that lie wholly
      // within the returned text (a stop string may have cut it), and the text after them.
      size_t whole = 0;
      while (whole < a.answer.size() && a.answer_ends[whole] <= a.c.text.size()) ++whole;
      Turn t;
      t.messages = a.request->messages;
      t.prompt_text = std::move(a.prompt_text);
      t.prompt = std::move(a.prompt);
      t.answer.assign(a.answer.begin(), a.answer.begin() + static_cast<std::ptrdiff_t>(whole));
      t.answer_tail = a.c.text.substr(whole ? a.answer_ends[whole - 1] : 0);
      a.c.text = util::valid_utf8(a.c.text);
      t.answer_text = a.c.text;  // what a continuation sends back; the cache keeps the tokens
      a.slot->turns.insert(a.slot->turns.begin(), std::move(t));
      a.c.prompt_ms = prompt_ms;
      a.c.generation_ms = gen_ms;
      results[a.index] = std::move(a.c);
    }
  }
  return results;
}

Result<Score> LlamaBackend::score(std::string_view prompt, std::string_view completion) {
  Impl& m = *m_impl;
  const std::string p(prompt);
  const auto ptoks = m.tokenize(p, true);
  auto toks = m.tokenize(p + std::string(completion), true);
  // The completion's tokens are what follows the prompt's own tokenization.
  const size_t first = common_prefix(ptoks, toks);
  if (first == 0) return bad_input("score", "the prompt is empty");
  if (static_cast<int>(toks.size()) >= m.n_ctx_seq)
    return bad_input("score", std::to_string(toks.size()) + " tokens do not fit the context of " +
                                  std::to_string(m.n_ctx_seq) + " tokens");
  Score sc;
  sc.tokens = static_cast<int>(toks.size() - first);
  if (sc.tokens == 0) return sc;
  std::vector<bool> taken(m.slots.size(), false);
  Slot& slot = m.pick_slot({}, &toks, taken);
  slot.session.clear();
  // Logits are needed from the token before the completion on, so that one is evaluated again.
  const size_t keep = std::min(common_prefix(slot.tokens, toks), first - 1);
  m.truncate(slot, keep);
  slot.turns.clear();
  m.counters.prompt_tokens += toks.size();
  m.counters.prompt_evaluated += toks.size() - keep;
  const int n_vocab = llama_vocab_n_tokens(m.vocab);
  for (size_t pos = keep; pos < toks.size();) {
    common_batch_clear(*m.batch);
    const size_t from = pos;
    while (pos < toks.size() && m.batch->n_tokens < m.n_batch) {
      m.batch_add(toks[pos], static_cast<llama_pos>(pos), slot.seq, pos + 1 >= first && pos + 1 < toks.size());
      ++pos;
    }
    if (int rc = m.decode(); rc != 0) {
      m.truncate(slot, 0);
      return fail("llama_decode", "scoring failed (code " + std::to_string(rc) + ")");
    }
    for (size_t i = from; i < pos; ++i) {
      if (!(i + 1 >= first && i + 1 < toks.size())) continue;
      const float* logits = llama_get_logits_ith(m.ctx.get(), static_cast<int32_t>(i - from));
      sc.logprob += token_logprob(logits, n_vocab, toks[i + 1]);
    }
  }
  slot.tokens = toks;
  return sc;
}

}  // namespace knowthy::llm
