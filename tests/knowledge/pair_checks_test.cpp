#include "knowledge/pair_checks.hpp"

#include <gtest/gtest.h>

#include <random>

#include "knowledge/datasets.hpp"
#include "knowledge/insights.hpp"
#include "util/text.hpp"

namespace knowthy::knowledge {
namespace {

size_t full_distance(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

TEST(PairChecks, BandedDistanceAgreesWithTheFullOne) {
  std::mt19937 rng(3);
  for (int t = 0; t < 500; ++t) {
    std::vector<std::uint64_t> a(rng() % 30), b;
    for (auto& x : a) x = rng() % 4;
    b = a;
    for (int e = static_cast<int>(rng() % 8); e > 0; --e) {
      const int op = static_cast<int>(rng() % 3);
      if (op == 0 || b.empty())
        b.insert(b.begin() + static_cast<long>(rng() % (b.size() + 1)), rng() % 4);
      else if (op == 1)
        b.erase(b.begin() + static_cast<long>(rng() % b.size()));
      else
        b[rng() % b.size()] = rng() % 4;
    }
    const size_t d = full_distance(a, b);
    for (size_t limit : {0u, 1u, 2u, 4u, 8u, 40u}) {
      const size_t got = bounded_edit_distance(a, b, limit);
      if (d <= limit)
        EXPECT_EQ(got, d) << "limit " << limit;
      else
        EXPECT_EQ(got, limit + 1) << "limit " << limit;
    }
  }
}

std::string answer(int candidates, const std::string& extra = "") {
  std::string s = "{\"knowledge_candidates\":[";
  for (int i = 0; i < candidates; ++i)
    s += (i ? "," : "") + std::string("{\"claim\":\"Ada likes coffee number ") + std::to_string(i) +
         "\",\"confidence\":0.8}";
  return s + "]" + extra + "}";
}

TEST(PairChecks, EachFlagOnCraftedPairs) {
  const PairCheckOptions o{0.05, 0.5, 2.0};
  const std::string a = answer(10);
  EXPECT_EQ(pair_flags(a, a, o), std::vector<std::string>{"identical"});
  std::string spaced = a;
  spaced.insert(1, "  \n");
  EXPECT_EQ(pair_flags(a, spaced, o), std::vector<std::string>{"identical"});  // only whitespace differs
  std::string one_edit = a;
  one_edit.replace(one_edit.find("0.8"), 3, "0.7");  // one token of ~150
  EXPECT_EQ(pair_flags(a, one_edit, o), std::vector<std::string>{"near-identical"});
  EXPECT_TRUE(pair_flags(answer(10), answer(7), o).empty());  // a real correction
  EXPECT_EQ(pair_flags(answer(10), answer(3), o), std::vector<std::string>{"length-outlier"});
  EXPECT_EQ(pair_flags(answer(2), answer(10), o), std::vector<std::string>{"length-outlier"});
  // Thresholds come from the configuration.
  EXPECT_TRUE(pair_flags(a, one_edit, {0.001, 0.5, 2.0}).empty());
  EXPECT_TRUE(pair_flags(answer(10), answer(3), {0.05, 0.1, 10}).empty());
}

TEST(Datasets, HeldOutSplitIsStableAndAboutTenPercent) {
  int held = 0;
  for (std::int64_t id = 1; id <= 10000; ++id) held += heldout_by_hash(id, 10);
  EXPECT_GT(held, 900);
  EXPECT_LT(held, 1100);
  for (std::int64_t id = 1; id <= 100; ++id) {
    EXPECT_EQ(heldout_by_hash(id, 10), heldout_by_hash(id, 10));
    EXPECT_FALSE(heldout_by_hash(id, 0));
    EXPECT_TRUE(heldout_by_hash(id, 100));
  }
}

TEST(Insights, IsoWeeks) {
  auto w = parse_iso_week("2026-W48");
  ASSERT_TRUE(w);
  EXPECT_EQ(util::unix_to_iso(w->start), "2026-11-23T00:00:00Z");
  EXPECT_EQ(util::unix_to_iso(w->end), "2026-11-30T00:00:00Z");
  EXPECT_EQ(w->label(), "2026-W48");
  EXPECT_TRUE(parse_iso_week("2020-W53"));
  EXPECT_FALSE(parse_iso_week("2021-W53"));
  EXPECT_FALSE(parse_iso_week("2026-48"));
  EXPECT_FALSE(parse_iso_week("2026-W00"));
  // 2021-01-03 (a Sunday) belongs to 2020-W53; 2024-12-30 (a Monday) to 2025-W01.
  EXPECT_EQ(iso_week_of(*util::iso_to_unix("2021-01-03T12:00:00Z")).label(), "2020-W53");
  EXPECT_EQ(iso_week_of(*util::iso_to_unix("2024-12-30T00:00:00Z")).label(), "2025-W01");
  EXPECT_EQ(previous_iso_week(*util::iso_to_unix("2026-11-30T00:15:00Z")).label(), "2026-W48");  // the Monday tick
  EXPECT_EQ(previous_iso_week(*util::iso_to_unix("2026-11-24T10:00:00Z")).label(), "2026-W47");
}

}  // namespace
}  // namespace knowthy::knowledge
