#include "knowledge/pair_checks.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace knowthy::knowledge {

std::vector<std::uint64_t> edit_tokens(std::string_view s) {
  std::vector<std::uint64_t> out;
  size_t i = 0;
  auto word = [](unsigned char c) { return std::isalnum(c) || c >= 0x80; };
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c)) {
      ++i;
    } else if (word(c)) {
      size_t j = i;
      while (j < s.size() && word(static_cast<unsigned char>(s[j]))) ++j;
      out.push_back(XXH3_64bits(s.data() + i, j - i));
      i = j;
    } else {
      out.push_back(XXH3_64bits(s.data() + i, 1));
      ++i;
    }
  }
  return out;
}

size_t bounded_edit_distance(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b, size_t limit) {
  const size_t n = a.size(), m = b.size();
  if ((n > m ? n - m : m - n) > limit) return limit + 1;
  const size_t inf = limit + 1;
  // row[j] for j in [i - limit, i + limit], stored at j - i + limit.
  const size_t w = 2 * limit + 1;
  std::vector<size_t> prev(w, inf), cur(w, inf);
  for (size_t j = 0; j <= std::min(m, limit); ++j) prev[j + limit] = j;
  for (size_t i = 1; i <= n; ++i) {
    std::fill(cur.begin(), cur.end(), inf);
    size_t best = inf;
    const size_t lo = i > limit ? i - limit : 0, hi = std::min(m, i + limit);
    for (size_t j = lo; j <= hi; ++j) {
      const size_t k = j + limit - i;  // band index of (i, j)
      size_t v = inf;
      if (j == 0) {
        v = i;
      } else {
        // (i-1, j-1) is at the same band index in prev; (i-1, j) at k+1; (i, j-1) at k-1.
        v = prev[k] + (a[i - 1] == b[j - 1] ? 0 : 1);
        if (k + 1 < w) v = std::min(v, prev[k + 1] + 1);
        if (k > 0) v = std::min(v, cur[k - 1] + 1);
      }
      cur[k] = std::min(v, inf);
      best = std::min(best, cur[k]);
    }
    if (best > limit) return inf;  // every path is already over the limit
    std::swap(prev, cur);
  }
  return prev[m + limit - n];
}

std::vector<std::string> pair_flags(std::string_view chosen, std::string_view rejected, const PairCheckOptions& o) {
  std::vector<std::string> flags;
  if (chosen == rejected) {
    flags.emplace_back("identical");
  } else {
    const auto a = edit_tokens(chosen), b = edit_tokens(rejected);
    const size_t longer = std::max(a.size(), b.size());
    // Near-identical: distance < bound, i.e. at most ceil(bound) - 1 edits.
    const double bound = o.near_identical_below * static_cast<double>(longer);
    const size_t limit = bound > 0 ? static_cast<size_t>(std::ceil(bound)) - 1 : 0;
    if (a == b) {
      flags.emplace_back("identical");  // only whitespace differs
    } else if (limit > 0 && bounded_edit_distance(a, b, limit) <= limit) {
      flags.emplace_back("near-identical");
    }
  }
  const double ratio = rejected.empty() ? (chosen.empty() ? 1.0 : 1e9)
                                        : static_cast<double>(chosen.size()) / static_cast<double>(rejected.size());
  if (ratio < o.length_ratio_min || ratio > o.length_ratio_max) flags.emplace_back("length-outlier");
  return flags;
}

}  // namespace knowthy::knowledge
