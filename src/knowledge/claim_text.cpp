#include "knowledge/claim_text.hpp"

#include <utf8proc.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <unordered_set>

#include "util/text.hpp"

namespace knowthy::knowledge {
namespace {

// Words that carry no content of their own in a one-sentence claim about a person. Kept small on
// purpose: dropping too much would merge claims that differ.
const std::unordered_set<std::string_view>& stop_words() {
  static const std::unordered_set<std::string_view> k_words = {
      "a",    "an",   "the",  "of",   "to",    "in",   "on",     "at",      "for",   "and",    "or",    "is",   "are",
      "was",  "were", "be",   "been", "being", "am",   "has",    "have",    "had",   "do",     "does",  "did",  "with",
      "by",   "as",   "that", "this", "it",    "its",  "their",  "they",    "them",  "he",     "she",   "his",  "her",
      "him",  "i",    "my",   "me",   "we",    "our",  "you",    "your",    "very",  "really", "often", "also", "about",
      "from", "into", "than", "so",   "such",  "user", "person", "account", "tends", "seems"};
  return k_words;
}

const std::unordered_set<std::string_view>& negations() {
  static const std::unordered_set<std::string_view> k_words = {
      "not",    "no",   "never", "nor",    "neither", "none",     "nobody",  "nothing",
      "cannot", "cant", "dont",  "doesnt", "didnt",   "isnt",     "arent",   "wasnt",
      "werent", "wont", "hasnt", "havent", "hadnt",   "shouldnt", "wouldnt", "couldnt"};
  return k_words;
}

// Verbs whose opposite is one word: "dislikes X" contradicts "likes X".
struct Antonym {
  std::string_view word, base;
};
constexpr std::array k_antonyms = {Antonym{"dislikes", "likes"}, Antonym{"dislike", "like"},
                                   Antonym{"disliked", "liked"}, Antonym{"hates", "loves"},
                                   Antonym{"hate", "love"},      Antonym{"hated", "loved"},
                                   Antonym{"avoids", "seeks"},   Antonym{"stopped", "started"}};

// A light plural/third-person strip, so that "likes" and "like" are one word.
std::string_view stem(std::string_view w) {
  if (w.size() > 3 && w.back() == 's' && w[w.size() - 2] != 's') w.remove_suffix(1);
  return w;
}

bool is_word_cp(utf8proc_int32_t cp) {
  const auto cat = utf8proc_category(cp);
  return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_ND) ||  // letters, marks, digits
         cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
}

bool is_apostrophe(utf8proc_int32_t cp) { return cp == '\'' || cp == 0x2019; }

}  // namespace

namespace {

// Calls `fn(word)` for each word of `s`, reusing one buffer (no allocation per word).
template <class Fn>
void for_each_word(std::string_view s, Fn&& fn) {
  std::string cur;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    utf8proc_int32_t cp = c;
    size_t len = 1;
    if (c >= 0x80) {
      const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                      static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
      if (n <= 0) {
        cp = -1;  // invalid byte: a separator
      } else {
        len = static_cast<size_t>(n);
      }
    }
    const bool ascii_word = c < 0x80 && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'));
    if (ascii_word || (c >= 0x80 && cp >= 0 && is_word_cp(cp))) {
      cur.append(s.substr(i, len));
    } else if (is_apostrophe(cp) && !cur.empty()) {
      // joined: "doesn't" is one word
    } else if (!cur.empty()) {
      fn(std::string_view(cur));
      cur.clear();
    }
    i += len;
  }
  if (!cur.empty()) fn(std::string_view(cur));
}

}  // namespace

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  for_each_word(s, [&](std::string_view w) { out.emplace_back(w); });
  return out;
}

ClaimWords claim_words(std::string_view claim) {
  ClaimWords w;
  int negs = 0;
  const std::string folded = util::fold_case_nfkc(claim);
  for_each_word(folded, [&](std::string_view v) {
    if (negations().contains(v)) {
      ++negs;
      return;
    }
    for (const auto& a : k_antonyms)
      if (v == a.word) {
        ++negs;
        v = a.base;
        break;
      }
    if (stop_words().contains(v)) return;
    v = stem(v);
    w.content.push_back(XXH3_64bits(v.data(), v.size()));
  });
  std::sort(w.content.begin(), w.content.end());
  w.content.erase(std::unique(w.content.begin(), w.content.end()), w.content.end());
  w.negated = negs % 2 == 1;
  w.key = XXH3_64bits_withSeed(w.content.data(), w.content.size() * sizeof(std::uint64_t), w.negated ? 1 : 0);
  return w;
}

double jaccard(std::span<const std::uint64_t> a, std::span<const std::uint64_t> b) {
  if (a.empty() && b.empty()) return 1.0;
  size_t i = 0, j = 0, both = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      ++both, ++i, ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return static_cast<double>(both) / static_cast<double>(a.size() + b.size() - both);
}

}  // namespace knowthy::knowledge
