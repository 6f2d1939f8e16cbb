// DPO's weight and loss, the preference metrics, and how a conversation becomes a masked row.
#include "train/preference.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "train/sequences.hpp"

namespace knowthy::train {
namespace {

TEST(Dpo, WeightIsBetaTimesSigmoidOfMinusBetaMargin) {
  EXPECT_DOUBLE_EQ(dpo_weight(0.1, 0), 0.05);  // a model equal to its reference: beta / 2
  EXPECT_NEAR(dpo_weight(0.5, 4), 0.5 / (1 + std::exp(2.0)), 1e-12);
  // Preferences already learnt weigh less; reversed ones more (never above beta).
  EXPECT_LT(dpo_weight(0.1, 10), dpo_weight(0.1, 0));
  EXPECT_GT(dpo_weight(0.1, -10), dpo_weight(0.1, 0));
  EXPECT_LE(dpo_weight(0.1, -1e6), 0.1);
  EXPECT_GT(dpo_weight(0.1, 1e6), -1e-300);
}

TEST(Dpo, LossIsMinusLogSigmoidAndIsItsWeightsIntegral) {
  EXPECT_NEAR(dpo_loss(0.1, 0), std::log(2.0), 1e-12);
  EXPECT_NEAR(dpo_loss(1, 3), -std::log(1 / (1 + std::exp(-3.0))), 1e-12);
  EXPECT_NEAR(dpo_loss(1, -1000), 1000, 1e-9);  // no overflow
  // d loss / d margin = -w: the weighted step is the loss's exact gradient.
  for (double m : {-3.0, -0.5, 0.0, 0.7, 5.0}) {
    const double h = 1e-5, beta = 0.3;
    const double slope = (dpo_loss(beta, m + h) - dpo_loss(beta, m - h)) / (2 * h);
    EXPECT_NEAR(slope, -dpo_weight(beta, m), 1e-8) << m;
  }
}

TEST(Dpo, StatsCountAccuracyMarginAndLoss) {
  EXPECT_EQ(preference_stats(0.1, {}).pairs, 0);
  const PreferenceStats s = preference_stats(0.1, {2.0, -1.0, 0.0, 3.0});
  EXPECT_EQ(s.pairs, 4);
  EXPECT_DOUBLE_EQ(s.accuracy, 0.5);  // a zero margin is not a win
  EXPECT_DOUBLE_EQ(s.margin, 1.0);
  EXPECT_NEAR(s.loss, (dpo_loss(0.1, 2) + dpo_loss(0.1, -1) + dpo_loss(0.1, 0) + dpo_loss(0.1, 3)) / 4, 1e-12);
  EXPECT_DOUBLE_EQ(pair_margin({-5, -9}, {-6, -7}), 3.0);  // chosen +1, rejected -2
}

Conversation conversation(std::vector<llama_token> tokens, std::vector<std::uint8_t> answer) {
  return {std::move(tokens), std::move(answer)};
}

TEST(Rows, OnlyAnswerLabelsCarryWeightAndPaddingIsMasked) {
  const Row r = make_row(conversation({1, 10, 11, 12, 20, 21, 2}, {0, 0, 0, 0, 1, 1, 1}), 10, 2);
  ASSERT_EQ(r.tokens.size(), 10u);
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(r.answer_tokens, 3);
  // labels[i] = tokens[i + 1]: a label is weighted when it is an answer token.
  EXPECT_EQ(r.tokens, (std::vector<llama_token>{1, 10, 11, 12, 20, 21, 2, 2, 2, 2}));
  EXPECT_EQ(r.labels, (std::vector<llama_token>{10, 11, 12, 20, 21, 2, 2, 2, 2, 2}));
  EXPECT_EQ(r.weights, (std::vector<float>{0, 0, 0, 1, 1, 1, 0, 0, 0, 0}));
}

TEST(Rows, ALongConversationKeepsItsEnd) {
  const Row r = make_row(conversation({1, 10, 11, 12, 13, 14, 20, 21, 2}, {0, 0, 0, 0, 0, 0, 1, 1, 1}), 4, 2);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.tokens, (std::vector<llama_token>{13, 14, 20, 21}));
  EXPECT_EQ(r.labels, (std::vector<llama_token>{14, 20, 21, 2}));
  EXPECT_EQ(r.weights, (std::vector<float>{0, 1, 1, 1}));
  EXPECT_EQ(r.answer_tokens, 3);
}

}  // namespace
}  // namespace knowthy::train
