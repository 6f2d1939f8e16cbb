#pragma once
// The sample timeline's plan: when each tweet is posted, what kind it is, which tweets form threads,
// carry notes or media, or support a planted fact, and which ones the truth file samples.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sample/rng.hpp"
#include "sample/text.hpp"

namespace knowthy::sample {

enum class Kind : uint8_t { original, reply, self_reply, retweet, quote };
inline constexpr uint8_t k_f_note = 1, k_f_media = 2, k_f_same_second = 4;

std::string_view kind_name(Kind k);

// The chronological skeleton (index 0 = oldest): times, kinds, threads, notes, media, facts. Each
// tweet's text is then a pure function of (seed, index), so chunks can be rendered in parallel.
struct Plan {
  size_t n = 0;
  std::vector<int64_t> ms;
  std::vector<uint32_t> low;
  std::vector<Kind> kind;
  std::vector<uint8_t> flags, tpos, tlen;
  std::vector<int32_t> parent;
  std::vector<int16_t> fact, fact_tpl;
  std::vector<int8_t> note_first;  // opening paragraph for notes sharing a second, else -1
  std::vector<uint8_t> sample;
  std::vector<std::vector<uint32_t>> fact_tweets;  // per fact; fewer than 2 = dropped

  std::string id(size_t i) const { return u64_str(static_cast<uint64_t>(snowflake(ms[i], low[i]))); }
};

struct Window {
  int64_t start_ms, end_ms;
};

// Plans `n` tweets inside `w` into `p`; notes only when `modern` (the layouts before 2022-10 have none).
void plan_timeline(Plan& p, Rng& rng, Window w, bool modern, double note_fraction, double media_fraction, size_t n);

}  // namespace knowthy::sample
