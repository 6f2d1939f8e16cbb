// Engine benchmark for the embedded backend (issue 02). Prints one JSON object per line:
//   {"test":"pp","tokens":512,"ms":...,"tps":...}        prompt processing, one sequence
//   {"test":"tg","tokens":128,"ms":...,"tps":...}        generation, one sequence
//   {"test":"parallel","n":4,"tokens":...,"ms":...,"tps":...}   n sequences generated together
//   {"test":"continuation", ...}                          draft + critique token counts
// bench/llm_bench.sh runs it beside llama.cpp's own llama-bench and llama-batched-bench.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "llm/engine.hpp"
#include "llm/llama_backend.hpp"

using namespace knowthy;
using namespace knowthy::llm;

namespace {

// Exactly n tokens, whatever the model would say.
GenerateOptions exactly(int n) {
  GenerateOptions o;
  o.max_tokens = n;
  o.ignore_eos = true;
  return o;
}

struct Args {
  std::string model;
  int threads = 2;
  int pp = 512;
  int tg = 128;
  int reps = 3;
  std::vector<int> parallel{1, 2, 4};
  int par_tokens = 128;
};

std::unique_ptr<LlamaBackend> load(const Args& a, int parallel, int context);
LlamaBackend* g_sizer = nullptr;

std::unique_ptr<LlamaBackend> load(const Args& a, int parallel, int context) {
  LlamaOptions o;
  o.model_path = a.model;
  o.threads = a.threads;
  o.parallel = parallel;
  o.context = context;
  auto b = LlamaBackend::load(o);
  if (!b) {
    std::fprintf(stderr, "llm_bench: %s: %s\n", b.error().what.c_str(), b.error().why.c_str());
    std::exit(1);
  }
  return std::move(*b);
}

// Filler text of about `tokens` tokens: tweet-like sentences, different per `salt` so no cache helps.
std::string filler(int tokens, int salt) {
  std::string s;
  const char* words[] = {"sourdough", "running", "the",     "morning", "bread", "coffee", "and",   "trail",
                         "tweets",    "about",   "weekend", "I",       "love",  "new",    "shoes", "rain"};
  for (int i = 0; s.size() < static_cast<size_t>(tokens) * 4; ++i)
    s += std::string(words[(i * 7 + salt * 13 + i / 5) % 16]) + (i % 11 == 10 ? ".\n" : " ");
  return s;
}

// The user text whose rendered prompt is `tokens` tokens long (within a few).
std::vector<Message> prompt_of(LlamaBackend& b, int tokens, int salt) {
  int chars = tokens * 4;
  for (int iter = 0; iter < 8; ++iter) {
    std::string text = filler(tokens * 2, salt).substr(0, static_cast<size_t>(chars));
    std::vector<Message> m{{"user", text}};
    // Estimate by the engine's own count: render and count with a 1-token generation.
    auto c = b.generate(ChatRequest{m, exactly(1), {}});
    if (!c) break;
    if (std::abs(c->prompt_tokens - tokens) <= 2) return m;
    chars = std::max(16, chars * tokens / std::max(1, c->prompt_tokens));
  }
  return {{"user", filler(tokens, salt).substr(0, static_cast<size_t>(tokens) * 4)}};
}

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (k == "-m")
      a.model = next();
    else if (k == "-t")
      a.threads = std::atoi(next().c_str());
    else if (k == "-p")
      a.pp = std::atoi(next().c_str());
    else if (k == "-n")
      a.tg = std::atoi(next().c_str());
    else if (k == "-r")
      a.reps = std::atoi(next().c_str());
    else if (k == "--par-tokens")
      a.par_tokens = std::atoi(next().c_str());
    else {
      std::fprintf(stderr, "usage: llm_bench -m MODEL [-t THREADS] [-p PROMPT] [-n GEN] [-r REPS]\n");
      return 2;
    }
  }
  if (a.model.empty()) return 2;
  quiet_llama_log();
  // Prompt lengths are measured on an engine of their own, so no benchmarked cache holds them.
  auto sizer = load(a, 1, 4096);
  g_sizer = sizer.get();

  // pp and tg: one sequence, greedy, no grammar (what llama-bench measures).
  {
    auto b = load(a, 1, 4096);
    std::vector<double> pp, tg;
    for (int r = 0; r <= a.reps; ++r) {  // r == 0 warms up
      auto msgs = prompt_of(*g_sizer, a.pp, 100 + r);
      auto c = b->generate(ChatRequest{msgs, exactly(a.tg), {}});
      if (!c) return 1;
      if (r == 0) continue;
      pp.push_back(c->prompt_tokens_evaluated / (c->prompt_ms / 1000.0));
      tg.push_back((c->completion_tokens - 1) / (c->generation_ms / 1000.0));  // the first token came with the prompt
      if (r == 1)
        std::fprintf(stderr, "pp prompt: %d tokens (%d evaluated), tg: %d tokens\n", c->prompt_tokens,
                     c->prompt_tokens_evaluated, c->completion_tokens);
    }
    std::printf("{\"test\":\"pp\",\"tokens\":%d,\"tps\":%.2f}\n", a.pp, median(pp));
    std::printf("{\"test\":\"tg\",\"tokens\":%d,\"tps\":%.2f}\n", a.tg, median(tg));
    std::fflush(stdout);
  }

  // Parallel sequences: n conversations of a 128-token prompt, `par_tokens` generated each.
  for (int n : a.parallel) {
    auto b = load(a, n, 1024);
    std::vector<double> tps, gen_tps;
    for (int r = 0; r <= a.reps; ++r) {
      std::vector<ChatRequest> rq;
      for (int i = 0; i < n; ++i)
        rq.push_back(ChatRequest{prompt_of(*g_sizer, 128, 1000 * r + i), exactly(a.par_tokens), {}});
      auto t0 = std::chrono::steady_clock::now();
      auto out = b->generate(rq);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      int gen = 0;
      double gen_ms = 0;
      for (auto& c : out) {
        if (!c) return 1;
        gen += c->completion_tokens;
        gen_ms = c->generation_ms;
      }
      if (r == 0) continue;
      tps.push_back(gen / s);
      gen_tps.push_back((gen - n) / (gen_ms / 1000.0));
    }
    std::printf("{\"test\":\"parallel\",\"n\":%d,\"tokens_each\":%d,\"tps\":%.2f,\"gen_tps\":%.2f}\n", n, a.par_tokens,
                median(tps), median(gen_tps));
    std::fflush(stdout);
  }

  // Draft then critique: tokens evaluated with the KV-cache continuation against a fresh engine
  // given the whole conversation (what a stateless client sends).
  auto b = load(a, 2, 4096);
  for (int round = 0; round < 2; ++round) {  // the second round is reported: the first warms up
    auto draft_msgs = prompt_of(*g_sizer, a.pp, 7 + round);
    draft_msgs.insert(draft_msgs.begin(), Message{"system", "You read a person's tweets and take notes."});
    auto draft = b->generate(ChatRequest{draft_msgs, exactly(a.tg), {}});
    if (!draft) return 1;
    auto crit_msgs = draft_msgs;
    crit_msgs.push_back({"assistant", draft->text});
    crit_msgs.push_back({"user", "Critique the draft: which claims are not supported by the tweets? Answer in JSON."});
    auto t0 = std::chrono::steady_clock::now();
    auto crit = b->generate(ChatRequest{crit_msgs, exactly(1), draft->session});
    double cont_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    auto fresh = load(a, 2, 4096);
    t0 = std::chrono::steady_clock::now();
    auto full = fresh->generate(ChatRequest{crit_msgs, exactly(1), {}});
    double full_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!crit || !full) return 1;
    if (round == 0) continue;
    // The critique's new part: everything after the draft prompt (the draft's answer and the
    // critique message with its template markers).
    const int new_part = crit->prompt_tokens - draft->prompt_tokens;
    const int pair_cont = draft->prompt_tokens_evaluated + crit->prompt_tokens_evaluated;
    const int pair_full = draft->prompt_tokens_evaluated + full->prompt_tokens_evaluated;
    const int target = static_cast<int>(1.1 * (draft->prompt_tokens + new_part));
    std::printf(
        "{\"test\":\"continuation\",\"draft_prompt\":%d,\"draft_answer\":%d,\"critique_prompt\":%d,"
        "\"critique_new_part\":%d,\"critique_evaluated_cached\":%d,\"critique_evaluated_full\":%d,"
        "\"pair_evaluated_cached\":%d,\"pair_evaluated_full\":%d,\"target_max\":%d,"
        "\"critique_prompt_ms_cached\":%.1f,\"critique_prompt_ms_full\":%.1f,\"answer_valid_utf8\":%s}\n",
        draft->prompt_tokens, draft->completion_tokens, crit->prompt_tokens, new_part, crit->prompt_tokens_evaluated,
        full->prompt_tokens_evaluated, pair_cont, pair_full, target, cont_ms, full_ms,
        valid_utf8(draft->text) ? "true" : "false");
  }
  return 0;
}
