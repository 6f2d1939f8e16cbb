#pragma once
// Randomness and ids for the sample archive generator (write_sample_archive): a splitmix64 RNG that
// gives the same numbers on every platform, and Twitter snowflake ids drawn from it. Like every
// header beside it in sample/ (but archive.hpp and model.hpp), internal to sample/archive.cpp.
#include <cstddef>
#include <cstdint>
#include <span>

namespace knowthy::sample {

using std::int64_t;
using std::size_t;
using std::uint32_t;
using std::uint64_t;
using std::uint8_t;

inline constexpr int64_t k_epoch_ms = 1288834974657;  // Twitter snowflake epoch
// Worker-id ranges (snowflake bits 12..21) keep id families apart, so they can never collide.
inline constexpr uint32_t k_w_tweet[2] = {0, 400};
inline constexpr uint32_t k_w_note[2] = {400, 600};
inline constexpr uint32_t k_w_deleted[2] = {600, 700};
inline constexpr uint32_t k_w_other[2] = {700, 1024};

__extension__ typedef unsigned __int128 U128;  // for an unbiased-enough multiply-shift range reduction

// splitmix64: tiny, fast, and identical on every platform (std distributions are not specified
// bit-for-bit, and the same seed must give the same bytes).
class Rng {
 public:
  explicit Rng(uint64_t seed) : m_state(seed) {}
  uint64_t next() {
    uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n == 0 ? 0 : static_cast<uint64_t>((static_cast<U128>(next()) * n) >> 64); }
  int64_t between(int64_t lo, int64_t hi) {  // inclusive
    return hi <= lo ? lo : lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }
  double real() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return real() < p; }
  template <class T>
  const T& pick(std::span<const T> s) {
    return s[below(s.size())];
  }

 private:
  uint64_t m_state;
};

inline uint64_t mix(uint64_t a, uint64_t b) {
  Rng r(a * 0xD1B54A32D192ED03ull ^ (b + 0x632BE59BD9B4E019ull));
  r.next();
  return r.next();
}

inline int64_t snowflake(int64_t ms, uint32_t low22) { return ((ms - k_epoch_ms) << 22) | low22; }

inline uint32_t worker_low(Rng& rng, const uint32_t (&w)[2]) {
  return static_cast<uint32_t>(rng.between(int64_t{w[0]} << 12, (int64_t{w[1]} << 12) - 1));
}

}  // namespace knowthy::sample
