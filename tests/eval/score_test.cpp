// The evaluator's scores against a direct computation: every position's logits from one plain
// llama_decode of the whole sequence, log-softmax by hand. Also: packing many items into shared
// batches (items split across decodes) gives each item the score it gets alone.
#include "eval/score.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chat.h>
#include <common.h>
#include <llama.h>

#include <cmath>

#include "llm/engine.hpp"
#include "support/support.hpp"

namespace knowthy::eval {
namespace {

namespace fs = std::filesystem;

ScorerOptions opts(int context, int batch) {
  return {.context = context, .batch = batch, .threads = test::engine_threads(), .gpu_layers = 0, .chat_template = ""};
}

class Score : public ::testing::Test {
 protected:
  void SetUp() override { test::write_model(m_model); }
  test::TempDir m_dir;
  fs::path m_model = m_dir / "model.gguf";
};

// Sum of log p(token[i] | token[0..i-1]) for i >= first, from one decode of the whole sequence.
double direct_logprob(llama_model* model, const std::vector<llama_token>& toks, size_t first) {
  auto ctx = llm::make_context(
      model, {.n_ctx = 512, .n_batch = 512, .n_ubatch = 512, .n_seq = 1, .threads = test::engine_threads()}, "test");
  EXPECT_TRUE(ctx);
  llama_batch b = llama_batch_init(static_cast<int32_t>(toks.size()), 0, 1);
  for (size_t i = 0; i < toks.size(); ++i) common_batch_add(b, toks[i], static_cast<llama_pos>(i), {0}, true);
  EXPECT_EQ(llama_decode(ctx->get(), b), 0);
  const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
  double sum = 0;
  for (size_t i = first; i < toks.size(); ++i) {
    const float* logits = llama_get_logits_ith(ctx->get(), static_cast<int32_t>(i - 1));
    double z = 0;
    for (int v = 0; v < n_vocab; ++v) z += std::exp(static_cast<double>(logits[v]));
    sum += static_cast<double>(logits[toks[i]]) - std::log(z);
  }
  llama_batch_free(b);
  return sum;
}

TEST_F(Score, AgreesWithADirectLogProbOverTheEnginesLogits) {
  llm::init_llama();
  auto model = llm::load_model({.path = m_model.string(), .gpu_layers = 0});
  ASSERT_TRUE(model);
  const llama_vocab* vocab = llama_model_get_vocab(model->get());
  auto templates = common_chat_templates_init(model->get(), "");
  const std::vector<llm::Message> prompt{{"system", "You read tweets."}, {"user", "What does Ada drink?"}};
  const std::string answer = "Strong coffee, every morning, and tea after lunch.";
  const std::string tweet = "Ran 10k this morning, then coffee. Best start to a Sunday.";

  std::vector<ScoreItem> items{{prompt, answer}, {std::nullopt, tweet}};
  auto run = score_items({m_model.string(), ""}, items, opts(0, 512));
  ASSERT_TRUE(run) << run.error().why;
  ASSERT_EQ(run->items.size(), 2u);

  // The chat item: the completion is what follows the prompt's tokens.
  std::vector<llm::Message> whole = prompt;
  whole.push_back({"assistant", answer});
  const auto ptoks = common_tokenize(vocab, llm::render_chat(templates.get(), prompt, true), true, true);
  const auto toks = common_tokenize(vocab, llm::render_chat(templates.get(), whole, false), true, true);
  size_t first = 0;
  while (first < ptoks.size() && first < toks.size() && ptoks[first] == toks[first]) ++first;
  ASSERT_GT(toks.size(), first);
  const double chat = direct_logprob(model->get(), toks, first);
  EXPECT_EQ(run->items[0].tokens, static_cast<int>(toks.size() - first));
  EXPECT_NEAR(run->items[0].logprob, chat, 1e-3 * std::fabs(chat) + 1e-3);
  EXPECT_LT(run->items[0].logprob, 0.0);

  // The plain text: every token after the first (the start-of-text token, when the vocab has one).
  const auto ttoks = common_tokenize(vocab, tweet, true, false);
  const double plain = direct_logprob(model->get(), ttoks, 1);
  EXPECT_EQ(run->items[1].tokens, static_cast<int>(ttoks.size() - 1));
  EXPECT_NEAR(run->items[1].logprob, plain, 1e-3 * std::fabs(plain) + 1e-3);
  EXPECT_EQ(run->tokens_evaluated, toks.size() + ttoks.size());
}

TEST_F(Score, PackingItemsIntoSharedBatchesChangesNoScore) {
  std::vector<ScoreItem> items;
  for (int i = 0; i < 9; ++i)
    items.push_back(
        {i % 3 ? std::optional<std::vector<llm::Message>>({{"user", "Question " + std::to_string(i)}}) : std::nullopt,
         "Answer number " + std::to_string(i) + std::string(static_cast<size_t>(i) * 7, 'x')});
  const ScorerOptions packed = opts(0, 7);
  auto all = score_items({m_model.string(), ""}, items, packed);
  ASSERT_TRUE(all) << all.error().why;
  for (size_t i = 0; i < items.size(); ++i) {
    auto one = score_items({m_model.string(), ""}, std::span(items).subspan(i, 1), opts(0, 512));
    ASSERT_TRUE(one);
    EXPECT_EQ(all->items[i].tokens, one->items[0].tokens) << i;
    EXPECT_NEAR(all->items[i].logprob, one->items[0].logprob, 1e-3 * std::fabs(one->items[0].logprob)) << i;
  }
}

TEST_F(Score, AnswersToTheSamePromptShareItsCacheAndScoreAsAlone) {
  std::string tweets;
  for (int i = 0; i < 20; ++i) tweets += fmt::format("[{}] a tweet about coffee and running\n", 100 + i);
  std::vector<ScoreItem> items;
  for (int pair = 0; pair < 3; ++pair) {
    const std::string user = tweets + fmt::format("pair {}", pair);
    const std::vector<llm::Message> prompt{{"system", "You read tweets and answer in JSON."}, {"user", user}};
    items.push_back({prompt, "{\"claim\": \"Ada likes strong coffee.\"}"});
    items.push_back({prompt, "{\"claim\": \"Ada drinks tea.\"}"});
  }
  auto shared = score_items({m_model.string(), ""}, items, opts(0, 64));
  ASSERT_TRUE(shared) << shared.error().why;
  // The rejected answer reuses its pair's prompt, and every pair the system prompt and tweets.
  EXPECT_LT(shared->tokens_evaluated * 2, shared->tokens_text);
  for (size_t i = 0; i < items.size(); ++i) {
    auto one = score_items({m_model.string(), ""}, std::span(items).subspan(i, 1), opts(0, 512));
    ASSERT_TRUE(one);
    EXPECT_EQ(shared->items[i].tokens, one->items[0].tokens) << i;
    EXPECT_NEAR(shared->items[i].logprob, one->items[0].logprob, 1e-3 * std::fabs(one->items[0].logprob)) << i;
  }
}

TEST_F(Score, ALongPromptIsCutFromTheFrontAndTheCompletionKept) {
  std::string long_prompt;
  for (int i = 0; i < 200; ++i) long_prompt += "tweet " + std::to_string(i) + " about coffee. ";
  std::vector<ScoreItem> items{{std::vector<llm::Message>{{"user", long_prompt}}, "Coffee."}};
  auto full = score_items({m_model.string(), ""}, items, opts(0, 512));
  auto cut = score_items({m_model.string(), ""}, items, opts(64, 512));
  ASSERT_TRUE(full && cut);
  EXPECT_FALSE(full->items[0].truncated);
  EXPECT_TRUE(cut->items[0].truncated);
  EXPECT_EQ(cut->items[0].tokens, full->items[0].tokens);
  EXPECT_EQ(cut->context, 64);
  EXPECT_LE(cut->tokens_evaluated, 64u);
}

}  // namespace
}  // namespace knowthy::eval
