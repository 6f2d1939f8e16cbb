#include "train/preference.hpp"

#include <cmath>

#include "llm/engine.hpp"

namespace knowthy::train {

double dpo_weight(double beta, double margin) { return beta / (1.0 + std::exp(beta * margin)); }

double dpo_loss(double beta, double margin) {
  const double x = -beta * margin;  // softplus(x), without overflow for large x
  return x > 30 ? x : std::log1p(std::exp(x));
}

Result<double> row_logprob(llama_context* ctx, const Row& row, int n_batch) {
  llama_memory_clear(llama_get_memory(ctx), true);
  const int n = static_cast<int>(row.tokens.size());
  const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(llama_get_model(ctx)));
  llama_batch batch = llama_batch_init(n_batch, 0, 1);
  double sum = 0;
  for (int p = 0; p < n; p += n_batch) {
    const int k = std::min(n_batch, n - p);
    batch.n_tokens = k;
    for (int i = 0; i < k; ++i) {
      batch.token[i] = row.tokens[static_cast<size_t>(p + i)];
      batch.pos[i] = p + i;
      batch.n_seq_id[i] = 1;
      batch.seq_id[i][0] = 0;
      batch.logits[i] = row.weights[static_cast<size_t>(p + i)] != 0.0f;
    }
    if (llama_decode(ctx, batch) != 0) {
      llama_batch_free(batch);
      return fail("llama-opt", "llama.cpp could not score a training row (llama_decode failed)");
    }
    for (int i = 0; i < k; ++i)
      if (batch.logits[i])
        sum += llm::token_logprob(llama_get_logits_ith(ctx, i), n_vocab, row.labels[static_cast<size_t>(p + i)]);
  }
  llama_batch_free(batch);
  return sum;
}

double pair_margin(const PairLogprobs& policy, const PairLogprobs& reference) {
  return (policy.chosen - reference.chosen) - (policy.rejected - reference.rejected);
}

PreferenceStats preference_stats(double beta, const std::vector<double>& margins) {
  PreferenceStats s;
  s.pairs = static_cast<std::int64_t>(margins.size());
  if (margins.empty()) return s;
  for (double m : margins) {
    s.loss += dpo_loss(beta, m);
    s.accuracy += m > 0;
    s.margin += m;
  }
  s.loss /= static_cast<double>(margins.size());
  s.accuracy /= static_cast<double>(margins.size());
  s.margin /= static_cast<double>(margins.size());
  return s;
}

}  // namespace knowthy::train
