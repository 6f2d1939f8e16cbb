#pragma once
// How two claims are compared: folded (Unicode NFKC, case), split into words (punctuation dropped,
// apostrophes joined: "doesn't" -> "doesnt"), and reduced to a set of content words. Negations
// ("not", "never", "doesn't", "dislikes") are counted apart from the words, so "likes coffee" and
// "does not like coffee" have the same content but opposite polarity: a contradiction, never a
// duplicate.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace knowthy::knowledge {

struct ClaimWords {
  std::vector<std::uint64_t> content;  // hashes of the content words, sorted, unique
  bool negated = false;                // an odd number of negations
  std::uint64_t key = 0;               // content + polarity: equal keys are the same claim
};

ClaimWords claim_words(std::string_view claim);

// The words of a folded text, in order (for tests and the contradiction check's readers).
std::vector<std::string> split_words(std::string_view folded);

// |a ∩ b| / |a ∪ b| of two sorted, unique sets; 1 when both are empty.
double jaccard(std::span<const std::uint64_t> a, std::span<const std::uint64_t> b);

}  // namespace knowthy::knowledge
