// The embedded backend against the real engine, with the sample model.
#include "llm/llama_backend.hpp"

#include <gtest/gtest.h>
#include <llama-cpp.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "sample/model.hpp"
#include "support/support.hpp"

namespace knowthy::llm {
namespace {

const char* k_schema = R"({"type":"object","properties":{"topic":{"type":"string","maxLength":12},
  "confidence":{"type":"integer","minimum":0,"maximum":100},"tags":{"type":"array","items":{"type":"string","maxLength":8},"maxItems":2}},
  "required":["topic","confidence","tags"],"additionalProperties":false})";

class LlamaBackendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new test::TempDir();
    s_model = (*s_dir / "tiny.gguf").string();
    test::write_model(s_model);
  }
  static void TearDownTestSuite() {
    delete s_dir;
    s_dir = nullptr;
  }
  static std::unique_ptr<LlamaBackend> load(int parallel = 2) {
    LlamaOptions o;
    o.model_path = s_model;
    o.parallel = parallel;
    o.threads = test::engine_threads();  // 1 by default: ctest runs two tests at once on two cores
    o.context = 1024;
    auto b = LlamaBackend::load(o);
    EXPECT_TRUE(b) << (b ? "" : b.error().why);
    return b ? std::move(*b) : nullptr;
  }
  static ChatRequest ask(std::string q, std::uint32_t seed = 1, int max_tokens = 24) {
    ChatRequest r;
    r.messages = {{"system", "You read tweets."}, {"user", std::move(q)}};
    r.options.seed = seed;
    r.options.temperature = 0.8f;
    r.options.max_tokens = max_tokens;
    return r;
  }
  static inline test::TempDir* s_dir = nullptr;
  static inline std::string s_model;
};

TEST_F(LlamaBackendTest, InfoAndTemplate) {
  auto b = load();
  ASSERT_TRUE(b);
  auto info = b->info();
  EXPECT_EQ(info.backend, "llama");
  EXPECT_TRUE(info.chat_template);
  EXPECT_EQ(info.context_size, 1024);
  EXPECT_EQ(info.parallel, 2);
  std::vector<Message> msgs{{"user", "hi"}};
  auto p = b->render(msgs);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, "### user:\nhi\n\n### assistant:\n");
}

TEST_F(LlamaBackendTest, FixedSeedGivesTheSameAnswer) {
  auto b = load();
  ASSERT_TRUE(b);
  auto q = ask("What do I tweet about?", 7);
  q.options.ignore_eos = true;  // exactly max_tokens, whatever the model would say
  auto x = b->generate(q);
  auto y = b->generate(q);
  q.options.seed = 8;
  auto z = b->generate(q);
  q.options.seed = 7;
  ASSERT_TRUE(x && y && z);
  EXPECT_EQ(x->completion_tokens, 24);
  EXPECT_EQ(x->finish, FinishReason::length);
  EXPECT_EQ(x->text, y->text);
  EXPECT_NE(x->text, z->text);
  EXPECT_NE(x->session, y->session);
  EXPECT_TRUE(x->session.starts_with("llama-"));
  // A fresh engine gives the same answer too: nothing depends on what ran before.
  auto again = load()->generate(q);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->text, x->text);
}

TEST_F(LlamaBackendTest, SchemaConstrainedAnswersParseOverManySeeds) {
  auto b = load();
  ASSERT_TRUE(b);
  std::vector<ChatRequest> rq;
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    auto r = ask("Summarise as JSON.", seed, 200);
    r.options.json_schema = k_schema;
    rq.push_back(r);
  }
  auto out = b->generate(rq);
  ASSERT_EQ(out.size(), rq.size());
  for (auto& c : out) {
    ASSERT_TRUE(c) << c.error().why;
    EXPECT_EQ(c->finish, FinishReason::stop) << c->text;
    auto j = nlohmann::json::parse(c->text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << c->text;
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j.size(), 3u);
    EXPECT_TRUE(j["topic"].is_string());
    EXPECT_LE(j["topic"].get<std::string>().size(), 12u * 4);  // 12 code points
    ASSERT_TRUE(j["confidence"].is_number_integer());
    EXPECT_GE(j["confidence"].get<int>(), 0);
    EXPECT_LE(j["confidence"].get<int>(), 100);
    ASSERT_TRUE(j["tags"].is_array());
    EXPECT_LE(j["tags"].size(), 2u);
  }
}

TEST_F(LlamaBackendTest, ContinuationEvaluatesOnlyTheNewTokens) {
  auto b = load();
  ASSERT_TRUE(b);
  auto draft_rq = ask("Here are my tweets: I love sourdough. Draft notes.", 3, 40);
  auto draft = b->generate(draft_rq);
  ASSERT_TRUE(draft);
  EXPECT_EQ(draft->prompt_tokens_evaluated, draft->prompt_tokens);

  ChatRequest critique = draft_rq;
  critique.messages.push_back({"assistant", draft->text});
  critique.messages.push_back({"user", "Critique the draft."});
  critique.session = draft->session;
  const auto before = b->counters();
  auto crit = b->generate(critique);
  ASSERT_TRUE(crit);
  EXPECT_EQ(crit->session, draft->session);
  const auto after = b->counters();
  // The cache holds the draft prompt and the draft's answer: only the critique's message and
  // the template's markers around it are new.
  ASSERT_EQ(draft->finish, FinishReason::length);
  const int cached = draft->prompt_tokens + draft->completion_tokens - 1;  // the last answer token was never decoded
  EXPECT_EQ(crit->prompt_tokens_evaluated, static_cast<int>(after.prompt_evaluated - before.prompt_evaluated));
  EXPECT_EQ(crit->prompt_tokens - crit->prompt_tokens_evaluated, cached);
  // "\n\n### user:\nCritique the draft.\n\n### assistant:\n" is about 20 tokens.
  EXPECT_LE(crit->prompt_tokens_evaluated, 26);
  EXPECT_GT(crit->prompt_tokens_evaluated, 0);

  // The same critique again (a retry): it still continues the draft's turn, not a re-tokenized one.
  auto again = b->generate(critique);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->prompt_tokens, crit->prompt_tokens);
  EXPECT_LE(again->prompt_tokens_evaluated, crit->prompt_tokens_evaluated);

  // Without the cache (a fresh engine), the whole conversation is evaluated again.
  auto fresh = load();
  auto full = fresh->generate(critique);
  ASSERT_TRUE(full);
  EXPECT_EQ(full->prompt_tokens_evaluated, full->prompt_tokens);
  EXPECT_GT(full->prompt_tokens_evaluated, 4 * crit->prompt_tokens_evaluated);
}

TEST_F(LlamaBackendTest, ContinuationKeepsTheWholeCacheWhateverTheAnswer) {
  // Answers cut off mid-word, ending in odd tokens, or stopped by a stop string: the critique
  // still reuses everything the cache holds that its prompt starts with.
  auto b = load();
  ASSERT_TRUE(b);
  for (std::uint32_t seed = 1; seed <= 16; ++seed) {
    auto rq = ask("Tweets, batch " + std::to_string(seed) + ": coffee, trail running, rain.", seed, 8 + seed * 3);
    auto draft = b->generate(rq);
    ASSERT_TRUE(draft);
    rq.messages.push_back({"assistant", draft->text});
    rq.messages.push_back({"user", "Critique it."});
    rq.session = draft->session;
    auto crit = b->generate(rq);
    ASSERT_TRUE(crit);
    const int decoded = draft->completion_tokens - (draft->finish == FinishReason::length ? 1 : 0);
    EXPECT_EQ(crit->prompt_tokens - crit->prompt_tokens_evaluated, draft->prompt_tokens + decoded) << seed;
  }
}

TEST_F(LlamaBackendTest, ParallelSequencesShareDecodeCalls) {
  // Sequences of different lengths share batches. (Their answers need not equal those decoded
  // alone: batched kernels sum in another order, which moves near-uniform logits.)
  std::vector<ChatRequest> rq;
  for (std::uint32_t i = 0; i < 4; ++i) {
    rq.push_back(ask("Batch " + std::to_string(i) + " of my tweets.", i + 1));
    rq.back().options.ignore_eos = true;
  }
  rq[2].options.max_tokens = 5;
  auto par = load(4);
  auto together = par->generate(rq);
  auto seq = load(1);
  for (size_t i = 0; i < rq.size(); ++i) {
    auto alone = seq->generate(rq[i]);
    ASSERT_TRUE(alone && together[i]);
    EXPECT_EQ(together[i]->completion_tokens, rq[i].options.max_tokens) << i;
    EXPECT_EQ(together[i]->prompt_tokens, alone->prompt_tokens) << i;
    EXPECT_EQ(together[i]->prompt_tokens_evaluated, together[i]->prompt_tokens) << i;
  }
  // One decode per step for all four: the prompts together, then max_tokens steps (24) at most.
  EXPECT_LE(par->counters().decode_calls, 1u + 24u);
  EXPECT_LT(par->counters().decode_calls, seq->counters().decode_calls);
}

// Forces the answer with a grammar, so that the test does not depend on what the random model
// would pick: a control token (<s>, which prints as nothing), an emoji that the vocabulary can only
// spell with byte-fallback tokens, <s> again, then "x".
TEST_F(LlamaBackendTest, TheCritiqueReusesTheCacheWhateverTokensTheAnswerHolds) {
  llama_model_params mp = llama_model_default_params();
  llama_model_ptr model(llama_model_load_from_file(s_model.c_str(), mp));
  ASSERT_TRUE(model);
  const llama_token bos = llama_vocab_bos(llama_model_get_vocab(model.get()));
  const std::string grammar =
      "root ::= <[" + std::to_string(bos) + "]> \"\\U0001F642\" <[" + std::to_string(bos) + "]> \"x\"";
  auto b = load();
  ASSERT_TRUE(b);
  for (bool stop_string : {false, true}) {
    auto rq = ask("Tweets: rain, bread, a trail run. Draft notes.", 5, 64);
    rq.options.grammar = grammar;
    rq.options.temperature = 0;
    if (stop_string) rq.options.stop = {"x"};
    auto draft = b->generate(rq);
    ASSERT_TRUE(draft) << draft.error().why;
    EXPECT_EQ(draft->finish, FinishReason::stop);
    EXPECT_EQ(draft->text, stop_string ? "🙂" : "🙂x") << stop_string;
    EXPECT_GE(draft->completion_tokens, 4);  // <s>, at least one piece of the emoji, <s>, x
    rq.options.grammar.clear();
    rq.options.stop.clear();
    rq.options.max_tokens = 4;
    rq.messages.push_back({"assistant", draft->text});
    rq.messages.push_back({"user", "Critique the draft."});
    rq.session = draft->session;
    auto crit = b->generate(rq);
    ASSERT_TRUE(crit) << crit.error().why;
    // The cache held the prompt and every answer token as sampled (up to the stop string); only
    // the new message was evaluated.
    const int kept = draft->completion_tokens - (stop_string ? 1 : 0);
    const int fresh = crit->prompt_tokens - draft->prompt_tokens - kept;
    EXPECT_GT(fresh, 0);
    EXPECT_EQ(crit->prompt_tokens_evaluated, fresh) << stop_string;
    EXPECT_LE(crit->prompt_tokens_evaluated, 26);
  }
}

// Reference: decode prompt + completion in a separate context and sum the log-softmax by hand.
double reference_logprob(const std::string& model_path, const std::string& prompt, const std::string& completion,
                         int* n_tokens) {
  llama_model_params mp = llama_model_default_params();
  llama_model_ptr model(llama_model_load_from_file(model_path.c_str(), mp));
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = 512;
  cp.n_threads = cp.n_threads_batch = 1;
  llama_context_ptr ctx(llama_init_from_model(model.get(), cp));
  const llama_vocab* vocab = llama_model_get_vocab(model.get());
  auto tok = [&](const std::string& s) {
    std::vector<llama_token> t(s.size() + 8);
    t.resize(static_cast<size_t>(llama_tokenize(vocab, s.c_str(), static_cast<int32_t>(s.size()), t.data(),
                                                static_cast<int32_t>(t.size()), true, true)));
    return t;
  };
  auto p = tok(prompt);
  auto all = tok(prompt + completion);
  size_t first = 0;
  while (first < p.size() && first < all.size() && p[first] == all[first]) ++first;
  *n_tokens = static_cast<int>(all.size() - first);
  llama_batch batch = llama_batch_init(static_cast<int32_t>(all.size()), 0, 1);
  for (size_t i = 0; i < all.size(); ++i) {
    batch.token[i] = all[i];
    batch.pos[i] = static_cast<llama_pos>(i);
    batch.n_seq_id[i] = 1;
    batch.seq_id[i][0] = 0;
    batch.logits[i] = true;
  }
  batch.n_tokens = static_cast<int32_t>(all.size());
  EXPECT_EQ(llama_decode(ctx.get(), batch), 0);
  double total = 0;
  const int nv = llama_vocab_n_tokens(vocab);
  for (size_t i = first; i < all.size(); ++i) {
    const float* l = llama_get_logits_ith(ctx.get(), static_cast<int32_t>(i - 1));
    double z = 0;
    for (int v = 0; v < nv; ++v) z += std::exp(static_cast<double>(l[v]));
    total += l[all[i]] - std::log(z);
  }
  llama_batch_free(batch);
  return total;
}

TEST_F(LlamaBackendTest, ScoreAgreesWithTheLogits) {
  auto b = load();
  ASSERT_TRUE(b);
  const std::string prompt = "### user:\nWhat do I like?\n\n### assistant:\n";
  for (std::string completion : {"I like bread and long walks.", " Sourdough, mostly.", "x"}) {
    auto s = b->score(prompt, completion);
    ASSERT_TRUE(s) << s.error().why;
    int n = 0;
    double ref = reference_logprob(s_model, prompt, completion, &n);
    EXPECT_EQ(s->tokens, n) << completion;
    EXPECT_NEAR(s->logprob, ref, 1e-3 * std::max(1.0, std::abs(ref))) << completion;
    EXPECT_LT(s->logprob, 0);
  }
  // A second score of the same prompt reuses the cached prompt.
  const auto before = b->counters().prompt_evaluated;
  ASSERT_TRUE(b->score(prompt, "I like bread and long walks."));
  EXPECT_LT(b->counters().prompt_evaluated - before, 12u);
}

TEST_F(LlamaBackendTest, BadModelAndSchemaAreClearErrors) {
  LlamaOptions o;
  o.model_path = (*s_dir / "missing.gguf").string();
  auto missing = LlamaBackend::load(o);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::bad_input);
  test::write_text(*s_dir / "junk.gguf", "not a model");
  o.model_path = (*s_dir / "junk.gguf").string();
  auto junk = LlamaBackend::load(o);
  ASSERT_FALSE(junk);
  EXPECT_EQ(junk.error().kind, ErrorKind::bad_input);

  auto b = load();
  auto r = ask("x");
  r.options.json_schema = "{not json";
  auto out = b->generate(r);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind, ErrorKind::bad_input);
}

}  // namespace
}  // namespace knowthy::llm
