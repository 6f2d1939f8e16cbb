#pragma once
// Checks that keep weak preference pairs out of training. DPO learns from the difference between
// chosen and rejected: no difference teaches nothing, a tiny one can lower the likelihood of the
// chosen answer itself, and a large length difference teaches length rather than quality.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace knowthy::knowledge {

// The tokens edit distance counts: runs of letters/digits, and every other non-space byte alone.
std::vector<std::uint64_t> edit_tokens(std::string_view text);

// Levenshtein distance between two token sequences when it is at most `limit`; otherwise
// limit + 1. Only a band of width 2*limit+1 is computed: O(limit * n).
size_t bounded_edit_distance(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b, size_t limit);

struct PairCheckOptions {
  double near_identical_below = 0.05;  // token edit distance / the longer side's tokens
  double length_ratio_min = 0.5, length_ratio_max = 2.0;
};

// "identical", "near-identical" and "length-outlier", as they apply (chosen and rejected are the
// normalized answers).
std::vector<std::string> pair_flags(std::string_view chosen, std::string_view rejected, const PairCheckOptions& o);

}  // namespace knowthy::knowledge
