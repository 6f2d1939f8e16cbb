// The verdict's rules on scores made up here (no model): what passes, what noise cannot pass, and
// the bootstrap's determinism.
#include "eval/verdict.hpp"

#include <gtest/gtest.h>

#include <random>

namespace knowthy::eval {
namespace {

// Pairs whose candidate-minus-active margin is `margin(i)`, with `gain` nats per token on the
// chosen answers; tweets whose log-likelihood per token changes from -5 to -5 * (1 + regression).
struct Made {
  std::vector<PairScores> pairs;
  std::vector<TextScores> tweets;
};
Made make(size_t n, const std::function<double(size_t)>& margin, double gain, double regression, size_t tweets = 50) {
  Made m;
  for (size_t i = 0; i < n; ++i) {
    PairScores p;
    p.chosen_active = {-100.0, 20};
    p.chosen_candidate = {-100.0 + 20 * gain, 20};
    p.rejected_active = {-90.0, 20};
    // margin = (cc - ca) - (rc - ra)  =>  rc = ra + (cc - ca) - margin
    p.rejected_candidate = {-90.0 + 20 * gain - margin(i), 20};
    m.pairs.push_back(p);
  }
  for (size_t i = 0; i < tweets; ++i) m.tweets.push_back({{-50.0, 10}, {-50.0 * (1 + regression), 10}});
  return m;
}

TEST(Verdict, ASystematicImprovementPasses) {
  auto m = make(
      40, [](size_t) { return 3.0; }, 0.1, -0.01);
  const Verdict v = judge(m.pairs, m.tweets, {});
  EXPECT_TRUE(v.passed) << v.reasons.size();
  EXPECT_DOUBLE_EQ(v.metrics["preference_accuracy"]["value"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(v.metrics["mean_margin"]["value"].get<double>(), 3.0);
  EXPECT_NEAR(v.metrics["heldout_chosen_logprob"]["gain"].get<double>(), 0.1, 1e-12);
  EXPECT_NEAR(v.metrics["regression"]["value"].get<double>(), -0.01, 1e-12);
}

TEST(Verdict, NoiseDoesNotPassEvenAboveTheThreshold) {
  // 12 of 20 pairs better (0.6 >= 0.55), but an interval over 20 pairs reaches 0.5.
  auto m = make(
      20, [](size_t i) { return i < 12 ? 1.0 : -1.0; }, 0.05, 0.0);
  const Verdict v = judge(m.pairs, m.tweets, {});
  EXPECT_FALSE(v.passed);
  EXPECT_DOUBLE_EQ(v.metrics["preference_accuracy"]["value"].get<double>(), 0.6);
  EXPECT_LE(v.metrics["preference_accuracy"]["ci95"][0].get<double>(), 0.5);
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_NE(v.reasons[0].find("not above chance"), std::string::npos) << v.reasons[0];
}

TEST(Verdict, AnEqualModelFailsOnChance) {
  auto m = make(
      30, [](size_t) { return 0.0; }, 0.0, 0.0);
  const Verdict v = judge(m.pairs, m.tweets, {});
  EXPECT_FALSE(v.passed);
  EXPECT_DOUBLE_EQ(v.metrics["preference_accuracy"]["value"].get<double>(), 0.0);
  EXPECT_TRUE(v.metrics["heldout_chosen_logprob"]["pass"].get<bool>());  // a gain of 0 meets min 0
  EXPECT_TRUE(v.metrics["regression"]["pass"].get<bool>());
}

TEST(Verdict, EachRuleFailsOnItsOwn) {
  auto worse = make(
      40, [](size_t) { return 3.0; }, 0.1, 0.03);
  Verdict v = judge(worse.pairs, worse.tweets, {});
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_TRUE(v.reasons[0].starts_with("regression:")) << v.reasons[0];

  auto no_gain = make(
      40, [](size_t) { return 3.0; }, -0.01, 0.0);
  v = judge(no_gain.pairs, no_gain.tweets, {});
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_TRUE(v.reasons[0].starts_with("held-out chosen answers")) << v.reasons[0];

  auto below = make(
      100, [](size_t i) { return i % 2 ? 1.0 : -1.0; }, 0.1, 0.0);  // 0.5 < 0.55
  v = judge(below.pairs, below.tweets, {});
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.reasons[0].find("below [eval] min_preference_accuracy"), std::string::npos) << v.reasons[0];

  auto few = make(
      19, [](size_t) { return 3.0; }, 0.1, 0.0);
  v = judge(few.pairs, few.tweets, {});
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_NE(v.reasons[0].find("too little held-out data: 19 held-out DPO pairs"), std::string::npos);
  EXPECT_TRUE(v.metrics.empty());

  auto no_tweets = make(
      40, [](size_t) { return 3.0; }, 0.1, 0.0, 0);
  v = judge(no_tweets.pairs, no_tweets.tweets, {});
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_NE(v.reasons[0].find("no held-out tweets"), std::string::npos);
}

TEST(Verdict, TheBootstrapIsSeededAndCoversTheMean) {
  std::mt19937_64 rng(7);
  std::vector<double> xs(200);
  for (auto& x : xs) x = static_cast<double>(rng() % 1000) / 1000.0;
  const auto mean = [&](std::span<const size_t> idx) {
    double s = 0;
    for (size_t i : idx) s += xs[i];
    return s / static_cast<double>(idx.size());
  };
  const Interval a = bootstrap(xs.size(), 1000, 1, mean), b = bootstrap(xs.size(), 1000, 1, mean),
                 c = bootstrap(xs.size(), 1000, 2, mean);
  EXPECT_EQ(a.lo, b.lo);
  EXPECT_EQ(a.hi, b.hi);
  EXPECT_NE(a.lo, c.lo);
  std::vector<size_t> all(xs.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  const double m = mean(all);
  EXPECT_LT(a.lo, m);
  EXPECT_GT(a.hi, m);
  // About 1.96 standard errors each side (uniform on [0,1): sd 0.289, se 0.0204).
  EXPECT_NEAR(a.hi - a.lo, 2 * 1.96 * 0.289 / std::sqrt(200.0), 0.02);
}

}  // namespace
}  // namespace knowthy::eval
