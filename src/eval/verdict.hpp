#pragma once
// The evaluation's verdict from the two models' scores, with nothing of llama.cpp in it: the
// metrics, their seeded bootstrap 95% intervals and the rules that make a pass.
// - heldout_chosen_logprob: log-likelihood per token of the held-out chosen answers; the
//   candidate's gain over the active model must be >= min_chosen_logprob_gain.
// - preference_accuracy: the share of held-out pairs whose DPO implicit reward margin (beta 1,
//   the active model as reference) is > 0, i.e. the candidate raises chosen over rejected more
//   than the active model does; it must be >= min_preference_accuracy and its interval's lower
//   bound above chance (0.5). mean_margin: the margin's mean, in nats.
// - regression: how much worse (relative) the candidate's log-likelihood per token of held-out
//   tweets is; at most max_regression.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "eval/score.hpp"

namespace knowthy::eval {

struct Thresholds {
  double min_chosen_logprob_gain = 0.0;
  double min_preference_accuracy = 0.55;
  double max_regression = 0.02;
  int min_heldout_pairs = 20;
  int bootstrap_samples = 1000;
  std::uint64_t seed = 1;
  nlohmann::ordered_json to_json() const;
};

struct PairScores {
  ItemScore chosen_active, chosen_candidate, rejected_active, rejected_candidate;
};
struct TextScores {
  ItemScore active, candidate;
};

struct Interval {
  double lo = 0, hi = 0;
};

struct Verdict {
  bool passed = false;
  std::vector<std::string> reasons;  // why it failed, one per rule broken
  nlohmann::ordered_json metrics;
};

std::string too_little_data(size_t pairs, int min_pairs);

// Too few pairs is a failure that says so (and nothing else is measured).
Verdict judge(const std::vector<PairScores>& pairs, const std::vector<TextScores>& tweets, const Thresholds& t);

// The percentile interval (2.5th and 97.5th of `samples` resamples) of `statistic` over indices
// 0..n-1 drawn with replacement; the same seed gives the same interval on every machine.
Interval bootstrap(size_t n, int samples, std::uint64_t seed,
                   const std::function<double(std::span<const size_t>)>& statistic);

}  // namespace knowthy::eval
