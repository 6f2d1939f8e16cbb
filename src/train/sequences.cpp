#include "train/sequences.hpp"

#include <common.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "llm/engine.hpp"

namespace knowthy::train {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<llama_token> tokenize(const llama_vocab* vocab, const std::string& text) {
  return common_tokenize(vocab, text, true, true);
}

std::vector<llm::Message> messages_of(const json& list) {
  std::vector<llm::Message> out;
  if (!list.is_array()) return out;
  for (const auto& m : list)
    if (m.is_object()) out.push_back({m.value("role", ""), m.value("content", "")});
  return out;
}

template <typename F>
Status each_line(const fs::path& path, F&& f) {
  std::ifstream in(path);
  if (!in) return fail(path.string(), "cannot be read");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const json j = json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    try {
      f(j);
    } catch (const std::exception& e) {
      return fail(path.string(), std::string("the chat template fails: ") + e.what());
    }
  }
  return {};
}

bool has_answer(const std::vector<llm::Message>& m) { return !m.empty() && m.back().role == "assistant"; }

}  // namespace

Conversation tokenize_conversation(const common_chat_templates* templates, const llama_vocab* vocab,
                                   std::span<const llm::Message> messages) {
  Conversation c;
  c.tokens = tokenize(vocab, llm::render_chat(templates, messages, false));
  const llama_token eos = llama_vocab_eos(vocab);
  if (eos != LLAMA_TOKEN_NULL && (c.tokens.empty() || c.tokens.back() != eos)) c.tokens.push_back(eos);
  c.answer.assign(c.tokens.size(), 0);
  for (size_t k = 0; k < messages.size(); ++k) {
    if (messages[k].role != "assistant") continue;
    // The turn starts where the conversation so far, with the generation prompt, stops matching,
    // and ends where the conversation through this turn does (the last turn: at the end).
    const size_t start =
        llm::common_prefix(tokenize(vocab, llm::render_chat(templates, messages.first(k), true)), c.tokens);
    const size_t end =
        k + 1 == messages.size()
            ? c.tokens.size()
            : llm::common_prefix(tokenize(vocab, llm::render_chat(templates, messages.first(k + 1), false)), c.tokens);
    for (size_t i = start; i < end && i < c.tokens.size(); ++i) c.answer[i] = 1;
  }
  return c;
}

Row make_row(const Conversation& c, int context, llama_token pad) {
  const size_t n = static_cast<size_t>(context);
  // n inputs need n + 1 tokens (the last label); a longer conversation keeps its end.
  const size_t keep = std::min(c.tokens.size(), n + 1);
  const size_t from = c.tokens.size() - keep;
  Row r;
  r.truncated = from > 0;
  r.tokens.assign(n, pad);
  r.labels.assign(n, pad);
  r.weights.assign(n, 0.0f);
  for (size_t i = 0; i + 1 < keep; ++i) {
    r.tokens[i] = c.tokens[from + i];
    r.labels[i] = c.tokens[from + i + 1];
    if (c.answer[from + i + 1]) {
      r.weights[i] = 1.0f;
      ++r.answer_tokens;
    }
  }
  return r;
}

Status read_dpo_file(const fs::path& path, const common_chat_templates* templates, const llama_vocab* vocab,
                     int context, TrainData& out) {
  const llama_token pad = llama_vocab_eos(vocab);
  return each_line(path, [&](const json& j) {
    auto prompt = messages_of(j.value("prompt", json::array()));
    auto chosen = prompt, rejected = prompt;
    for (auto& m : messages_of(j.value("chosen", json::array()))) chosen.push_back(std::move(m));
    for (auto& m : messages_of(j.value("rejected", json::array()))) rejected.push_back(std::move(m));
    if (!has_answer(chosen)) return;
    Row c = make_row(tokenize_conversation(templates, vocab, chosen), context, pad);
    if (c.answer_tokens == 0) return;
    out.truncated += c.truncated;
    out.rows.push_back(c);
    if (!has_answer(rejected)) return;
    Row r = make_row(tokenize_conversation(templates, vocab, rejected), context, pad);
    if (r.answer_tokens == 0) return;
    out.pairs.push_back({std::move(c), std::move(r)});
  });
}

Status read_sft_file(const fs::path& path, const common_chat_templates* templates, const llama_vocab* vocab,
                     int context, TrainData& out) {
  const llama_token pad = llama_vocab_eos(vocab);
  return each_line(path, [&](const json& j) {
    auto messages = messages_of(j.value("messages", json::array()));
    if (!has_answer(messages)) return;
    Row r = make_row(tokenize_conversation(templates, vocab, messages), context, pad);
    if (r.answer_tokens == 0) return;
    out.truncated += r.truncated;
    out.rows.push_back(std::move(r));
  });
}

}  // namespace knowthy::train
