#pragma once
// DPO for the built-in trainer. Its gradient for one pair is
//   -beta * sigmoid(-beta * m) * (grad log p(chosen) - grad log p(rejected)),
//   m = (log p(chosen) - log p_ref(chosen)) - (log p(rejected) - log p_ref(rejected)),
// which is the gradient of a weighted cross-entropy with weight +w on the chosen answer's tokens
// and -w on the rejected answer's, w = beta * sigmoid(-beta * m) held constant. So each step scores
// its pair with the current model (a forward pass), sets w, and takes one weighted step: the exact
// DPO gradient, without a second copy of the model. The reference log-probabilities are the
// starting model's, scored once before the first step.
#include <llama.h>

#include <cstdint>
#include <vector>

#include "train/sequences.hpp"
#include "util/result.hpp"

namespace knowthy::train {

double dpo_weight(double beta, double margin);  // beta * sigmoid(-beta * margin)
double dpo_loss(double beta, double margin);    // -log sigmoid(beta * margin)

// The sum of log p(label) over the row's weighted labels, as `ctx` computes them now (a forward
// pass in chunks of n_batch; the context's memory is cleared first).
Result<double> row_logprob(llama_context* ctx, const Row& row, int n_batch);

struct PairLogprobs {
  double chosen = 0, rejected = 0;
};

// m for each pair: (policy - reference) on chosen minus the same on rejected.
double pair_margin(const PairLogprobs& policy, const PairLogprobs& reference);

struct PreferenceStats {
  std::int64_t pairs = 0;
  double loss = 0;      // mean DPO loss
  double accuracy = 0;  // share of pairs with m > 0
  double margin = 0;    // mean m, in nats
};

PreferenceStats preference_stats(double beta, const std::vector<double>& margins);

}  // namespace knowthy::train
