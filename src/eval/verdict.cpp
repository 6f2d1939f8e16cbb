#include "eval/verdict.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace knowthy::eval {

using ojson = nlohmann::ordered_json;

ojson Thresholds::to_json() const {
  return {{"min_chosen_logprob_gain", min_chosen_logprob_gain},
          {"min_preference_accuracy", min_preference_accuracy},
          {"chance", 0.5},
          {"max_regression", max_regression},
          {"min_heldout_pairs", min_heldout_pairs}};
}

Interval bootstrap(size_t n, int samples, std::uint64_t seed,
                   const std::function<double(std::span<const size_t>)>& statistic) {
  if (n == 0 || samples <= 0) return {};
  // mt19937_64's sequence is fixed by the standard (its distributions are not): index = draw % n.
  std::mt19937_64 rng(seed);
  std::vector<size_t> idx(n);
  std::vector<double> stats;
  stats.reserve(static_cast<size_t>(samples));
  for (int s = 0; s < samples; ++s) {
    for (auto& i : idx) i = static_cast<size_t>(rng() % n);
    stats.push_back(statistic(idx));
  }
  std::sort(stats.begin(), stats.end());
  const auto at = [&](double q) {
    return stats[std::min(stats.size() - 1, static_cast<size_t>(q * static_cast<double>(stats.size())))];
  };
  return {at(0.025), at(0.975 - 1.0 / static_cast<double>(stats.size()))};
}

namespace {

ojson interval_json(const Interval& i) { return ojson::array({i.lo, i.hi}); }

// Log-likelihood per token over the items drawn: a ratio of sums, so long answers weigh more.
template <class Get>
double per_token(std::span<const size_t> idx, Get&& score) {
  double lp = 0, tok = 0;
  for (size_t i : idx) {
    const ItemScore& s = score(i);
    lp += s.logprob, tok += s.tokens;
  }
  return tok > 0 ? lp / tok : 0.0;
}

// The DPO implicit reward margin of a pair (beta 1, the active model as reference).
double margin(const PairScores& p) {
  return (p.chosen_candidate.logprob - p.chosen_active.logprob) -
         (p.rejected_candidate.logprob - p.rejected_active.logprob);
}

}  // namespace

std::string too_little_data(size_t pairs, int min_pairs) {
  return fmt::format(
      "too little held-out data: {} held-out DPO pairs, fewer than [eval] min_heldout_pairs ({}); extract more "
      "batches (or raise [datasets] heldout_percent) and train again",
      pairs, min_pairs);
}

Verdict judge(const std::vector<PairScores>& pairs, const std::vector<TextScores>& tweets, const Thresholds& t) {
  Verdict v;
  v.metrics = ojson::object();
  if (static_cast<int>(pairs.size()) < t.min_heldout_pairs) {
    v.reasons.push_back(too_little_data(pairs.size(), t.min_heldout_pairs));
    return v;
  }
  const size_t n = pairs.size();
  const int B = t.bootstrap_samples;

  // Held-out chosen answers: log-likelihood per token.
  const auto chosen = [&](std::span<const size_t> idx, bool candidate) {
    return per_token(idx, [&](size_t i) -> const ItemScore& {
      return candidate ? pairs[i].chosen_candidate : pairs[i].chosen_active;
    });
  };
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  const double ll_active = chosen(all, false), ll_candidate = chosen(all, true);
  const double gain = ll_candidate - ll_active;
  const Interval gain_ci =
      bootstrap(n, B, t.seed, [&](std::span<const size_t> idx) { return chosen(idx, true) - chosen(idx, false); });
  std::int64_t chosen_tokens = 0;
  for (const auto& p : pairs) chosen_tokens += p.chosen_candidate.tokens;
  const bool gain_ok = gain >= t.min_chosen_logprob_gain;
  v.metrics["heldout_chosen_logprob"] = {{"active", ll_active},
                                         {"candidate", ll_candidate},
                                         {"gain", gain},
                                         {"gain_ci95", interval_json(gain_ci)},
                                         {"min_gain", t.min_chosen_logprob_gain},
                                         {"pass", gain_ok},
                                         {"pairs", n},
                                         {"tokens", chosen_tokens}};
  if (!gain_ok)
    v.reasons.push_back(fmt::format(
        "held-out chosen answers: the candidate's log-likelihood per token changed by {:+.4f} (from {:.4f} to {:.4f}), "
        "less than [eval] min_chosen_logprob_gain ({})",
        gain, ll_active, ll_candidate, t.min_chosen_logprob_gain));

  // Preference accuracy and mean margin, over the same resamples (another seed stream).
  const auto accuracy = [&](std::span<const size_t> idx) {
    double wins = 0;
    for (size_t i : idx) wins += margin(pairs[i]) > 0;
    return wins / static_cast<double>(idx.size());
  };
  const auto mean_margin = [&](std::span<const size_t> idx) {
    double sum = 0;
    for (size_t i : idx) sum += margin(pairs[i]);
    return sum / static_cast<double>(idx.size());
  };
  const double acc = accuracy(all), mm = mean_margin(all);
  const Interval acc_ci = bootstrap(n, B, t.seed + 1, accuracy);
  const Interval mm_ci = bootstrap(n, B, t.seed + 2, mean_margin);
  const bool acc_ok = acc >= t.min_preference_accuracy && acc_ci.lo > 0.5;
  v.metrics["preference_accuracy"] = {{"value", acc},
                                      {"ci95", interval_json(acc_ci)},
                                      {"min", t.min_preference_accuracy},
                                      {"chance", 0.5},
                                      {"pass", acc_ok},
                                      {"pairs", n}};
  v.metrics["mean_margin"] = {{"value", mm}, {"ci95", interval_json(mm_ci)}, {"unit", "nats per pair"}};
  if (acc < t.min_preference_accuracy)
    v.reasons.push_back(fmt::format("preference accuracy {:.3f} is below [eval] min_preference_accuracy ({})", acc,
                                    t.min_preference_accuracy));
  if (acc_ci.lo <= 0.5)
    v.reasons.push_back(fmt::format(
        "preference accuracy is not above chance with confidence: its 95% interval [{:.3f}, {:.3f}] reaches 0.5",
        acc_ci.lo, acc_ci.hi));

  // Regression on the person's own words.
  if (tweets.empty()) {
    v.metrics["regression"] = {{"pass", false}, {"tweets", 0}};
    v.reasons.push_back("no held-out tweets to check regression on (the held-out batches hold none of your own words)");
  } else {
    const auto ll = [&](std::span<const size_t> idx, bool candidate) {
      return per_token(
          idx, [&](size_t i) -> const ItemScore& { return candidate ? tweets[i].candidate : tweets[i].active; });
    };
    // Relative: (active - candidate) / |active|; positive is worse.
    const auto regression = [&](std::span<const size_t> idx) {
      const double a = ll(idx, false), c = ll(idx, true);
      return a != 0 ? (a - c) / std::fabs(a) : 0.0;
    };
    std::vector<size_t> every(tweets.size());
    for (size_t i = 0; i < every.size(); ++i) every[i] = i;
    std::int64_t tokens = 0;
    for (const auto& s : tweets) tokens += s.candidate.tokens;
    const double r = regression(every);
    const Interval r_ci = bootstrap(tweets.size(), B, t.seed + 3, regression);
    const bool r_ok = r <= t.max_regression;
    v.metrics["regression"] = {{"active", ll(every, false)},
                               {"candidate", ll(every, true)},
                               {"value", r},
                               {"ci95", interval_json(r_ci)},
                               {"max", t.max_regression},
                               {"pass", r_ok},
                               {"tweets", tweets.size()},
                               {"tokens", tokens}};
    if (!r_ok)
      v.reasons.push_back(fmt::format(
          "regression: the held-out tweets' log-likelihood per token is {:.2f}% worse ({:.4f} -> {:.4f}), more than "
          "[eval] max_regression ({:.2f}%)",
          100 * r, ll(every, false), ll(every, true), 100 * t.max_regression));
  }
  v.passed = v.reasons.empty();
  return v;
}

}  // namespace knowthy::eval
