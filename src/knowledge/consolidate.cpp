#include "knowledge/consolidate.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <limits>
#include <numeric>

#include "knowledge/claim_text.hpp"
#include "pipeline/extraction.hpp"

namespace knowthy::knowledge {
namespace {

// MinHash LSH: 12 bands of 3 hashes. A pair of similarity 0.6 shares a band with probability
// 1 - (1 - 0.6^3)^12 = 0.95; at 0.8, 0.9999. Every shared bucket is checked with the exact Jaccard.
constexpr int k_bands = 12, k_rows = 3;

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct UnionFind {
  std::vector<std::uint32_t> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0u); }
  std::uint32_t find(std::uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  // The smaller root wins, so a group's root is its earliest variant whatever the union order.
  void unite(std::uint32_t a, std::uint32_t b) {
    a = find(a), b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  }
};

// The distinct (category, words, polarity) of the inputs, in order of first appearance.
struct Variant {
  std::uint32_t category = 0;
  ClaimWords words;
  std::uint32_t first = 0;  // first input with it
};

size_t category_index(const std::string& c) {
  const auto& cats = pipeline::categories();
  const auto it = std::find(cats.begin(), cats.end(), c);
  return it == cats.end() ? cats.size() - 1 : static_cast<size_t>(it - cats.begin());  // last is "other"
}

std::string entry_id(const ClaimInput& c) { return fmt::format("k{}-{}", c.batch_id, c.idx); }

}  // namespace

Profile consolidate(std::vector<ClaimInput> inputs, const std::unordered_map<std::uint64_t, std::string>& dates,
                    const ConsolidateOptions& options) {
  std::sort(inputs.begin(), inputs.end(), [](const ClaimInput& a, const ClaimInput& b) {
    return std::tie(a.batch_id, a.idx) < std::tie(b.batch_id, b.idx);
  });
  Profile p;
  p.claims = static_cast<std::int64_t>(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    if (i == 0 || inputs[i].batch_id != inputs[i - 1].batch_id) ++p.batches;

  // 1. Exact duplicates: one variant per (category, content words, polarity).
  std::vector<Variant> variants;
  std::vector<std::uint32_t> variant_of(inputs.size());
  {
    std::unordered_map<std::uint64_t, std::uint32_t> by_key;
    by_key.reserve(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const auto cat = static_cast<std::uint32_t>(category_index(inputs[i].category));
      ClaimWords w = claim_words(inputs[i].claim);
      const std::uint64_t key = mix(w.key ^ mix(cat + 1));
      auto [it, added] = by_key.try_emplace(key, static_cast<std::uint32_t>(variants.size()));
      if (added) variants.push_back({cat, std::move(w), static_cast<std::uint32_t>(i)});
      variant_of[i] = it->second;
    }
  }

  // 2. Near duplicates and contradictions: variants of a category sharing an LSH bucket are
  // compared. Polarity is left out of the hashes, so a claim and its negation meet too.
  UnionFind uf(variants.size());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> contradictions;
  {
    // Each bucket remembers its first and its latest variant; a new one is compared with both.
    // That keeps the work linear however large a bucket grows, at a small cost in recall.
    struct Bucket {
      std::uint32_t first, last;
    };
    std::unordered_map<std::uint64_t, Bucket> buckets;
    buckets.reserve(variants.size());
    auto compare = [&](std::uint32_t a, std::uint32_t b) {
      const auto& wa = variants[a].words;
      const auto& wb = variants[b].words;
      if (jaccard(wa.content, wb.content) < options.similarity) return;
      if (wa.negated == wb.negated)
        uf.unite(a, b);
      else
        contradictions.emplace_back(std::min(a, b), std::max(a, b));
    };
    for (int band = 0; band < k_bands; ++band) {
      buckets.clear();
      for (std::uint32_t v = 0; v < variants.size(); ++v) {
        if (variants[v].words.content.empty()) continue;
        // The band's minhashes, computed here rather than stored for all bands (36 words a claim).
        std::array<std::uint64_t, k_rows + 2> key{};
        for (int r = 0; r < k_rows; ++r) {
          const std::uint64_t seed = 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(band * k_rows + r + 1);
          std::uint64_t m = std::numeric_limits<std::uint64_t>::max();
          for (std::uint64_t word : variants[v].words.content) m = std::min(m, mix(word + seed));
          key[static_cast<size_t>(r)] = m;
        }
        key[k_rows] = variants[v].category;
        key[k_rows + 1] = static_cast<std::uint64_t>(band);
        const std::uint64_t h = XXH3_64bits(key.data(), sizeof key);
        auto [it, added] = buckets.try_emplace(h, Bucket{v, v});
        if (added) continue;
        Bucket& b = it->second;
        if (variants[b.first].category == variants[v].category) {
          if (uf.find(b.first) != uf.find(v)) compare(b.first, v);
          if (b.last != b.first && uf.find(b.last) != uf.find(v)) compare(b.last, v);
        }
        b.last = v;
      }
    }
  }

  // 3. Groups, in order of their earliest claim (the union-find root is the earliest variant, and
  // variants are numbered in input order).
  std::vector<std::uint32_t> group_of_root(variants.size(), std::numeric_limits<std::uint32_t>::max());
  std::vector<std::vector<std::uint32_t>> members;  // input indices per group, in input order
  for (std::uint32_t i = 0; i < inputs.size(); ++i) {
    const std::uint32_t root = uf.find(variant_of[i]);
    if (group_of_root[root] == std::numeric_limits<std::uint32_t>::max()) {
      group_of_root[root] = static_cast<std::uint32_t>(members.size());
      members.emplace_back();
    }
    members[group_of_root[root]].push_back(i);
  }

  p.entries.resize(members.size());
  for (size_t g = 0; g < members.size(); ++g) {
    const auto& m = members[g];
    ProfileEntry& e = p.entries[g];
    const ClaimInput& first = inputs[m.front()];
    e.id = entry_id(first);
    e.category = pipeline::categories()[variants[variant_of[m.front()]].category];
    e.mentions = static_cast<int>(m.size());
    // Support and noisy-OR confidence per batch (a batch's best confidence counts once).
    double miss = 1.0, batch_best = 0;
    std::int64_t batch = -1;
    for (std::uint32_t i : m) {
      if (inputs[i].batch_id != batch) {
        if (batch != -1) miss *= 1.0 - batch_best;
        batch = inputs[i].batch_id, batch_best = 0, ++e.support;
      }
      batch_best = std::max(batch_best, std::clamp(inputs[i].confidence, 0.0, 1.0));
    }
    miss *= 1.0 - batch_best;
    e.confidence = 1.0 - miss;
    // The wording: the variant with the most batches, then the most confidence, then the earliest.
    struct Tally {
      std::uint32_t variant;
      int support = 0;
      double confidence = 0;
      std::int64_t last_batch = -1;
    };
    std::vector<Tally> tallies;
    std::unordered_map<std::uint32_t, size_t> tally_of;  // only for entries with many wordings
    for (std::uint32_t i : m) {
      const std::uint32_t v = variant_of[i];
      size_t t = tallies.size();
      if (tallies.size() <= 8) {
        for (size_t k = 0; k < tallies.size(); ++k)
          if (tallies[k].variant == v) t = k;
      } else {
        if (tally_of.empty())
          for (size_t k = 0; k < tallies.size(); ++k) tally_of.emplace(tallies[k].variant, k);
        if (auto it = tally_of.find(v); it != tally_of.end()) t = it->second;
      }
      if (t == tallies.size()) {
        tallies.push_back(Tally{v});
        if (!tally_of.empty()) tally_of.emplace(v, t);
      }
      Tally& tl = tallies[t];
      if (tl.last_batch != inputs[i].batch_id) ++tl.support, tl.last_batch = inputs[i].batch_id;
      tl.confidence += inputs[i].confidence;
    }
    std::stable_sort(tallies.begin(), tallies.end(), [](const Tally& a, const Tally& b) {
      if (a.support != b.support) return a.support > b.support;
      return a.confidence > b.confidence;
    });
    e.claim = inputs[variants[tallies.front().variant].first].claim;
    for (size_t t = 1; t < tallies.size() && e.wordings.size() < k_max_wordings; ++t)
      e.wordings.push_back(inputs[variants[tallies[t].variant].first].claim);
    // Evidence: the union, newest first.
    std::vector<std::uint64_t> ids;
    for (std::uint32_t i : m) ids.insert(ids.end(), inputs[i].evidence.begin(), inputs[i].evidence.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    e.evidence.reserve(ids.size());
    for (std::uint64_t id : ids) {
      auto it = dates.find(id);
      e.evidence.push_back({id, it == dates.end() ? std::string() : it->second});
    }
    std::sort(e.evidence.begin(), e.evidence.end(), [](const EvidenceRef& a, const EvidenceRef& b) {
      return a.date != b.date ? a.date > b.date : a.id > b.id;
    });
    if (!e.evidence.empty()) e.last_seen = e.evidence.front().date, e.first_seen = e.evidence.back().date;
  }

  // 4. Contradictions between entries (pairs inside one entry cannot happen: polarity differs).
  std::sort(contradictions.begin(), contradictions.end());
  contradictions.erase(std::unique(contradictions.begin(), contradictions.end()), contradictions.end());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> linked;
  for (auto [a, b] : contradictions) {
    std::uint32_t ga = group_of_root[uf.find(a)], gb = group_of_root[uf.find(b)];
    if (ga != gb) linked.emplace_back(std::min(ga, gb), std::max(ga, gb));
  }
  std::sort(linked.begin(), linked.end());
  linked.erase(std::unique(linked.begin(), linked.end()), linked.end());
  for (auto [a, b] : linked) {
    p.entries[a].contradicts.push_back(p.entries[b].id);
    p.entries[b].contradicts.push_back(p.entries[a].id);
  }

  // 5. Order: the contract's categories, then the best supported and most confident first.
  std::vector<size_t> cat_rank(p.entries.size());
  for (size_t g = 0; g < p.entries.size(); ++g) cat_rank[g] = category_index(p.entries[g].category);
  std::vector<size_t> order(p.entries.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& ea = p.entries[a];
    const auto& eb = p.entries[b];
    if (cat_rank[a] != cat_rank[b]) return cat_rank[a] < cat_rank[b];
    if (ea.support != eb.support) return ea.support > eb.support;
    if (ea.confidence != eb.confidence) return ea.confidence > eb.confidence;
    return a < b;  // earliest first
  });
  std::vector<ProfileEntry> sorted;
  sorted.reserve(order.size());
  for (size_t g : order) sorted.push_back(std::move(p.entries[g]));
  p.entries = std::move(sorted);
  return p;
}

}  // namespace knowthy::knowledge
