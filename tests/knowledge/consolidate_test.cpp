#include "knowledge/consolidate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "knowledge/profile_io.hpp"

namespace knowthy::knowledge {
namespace {

class ConsolidateTest : public ::testing::Test {
 protected:
  // A claim of batch `b` citing tweet `tweet`, dated day `tweet` of 2024-01.
  void add(std::int64_t b, const std::string& cat, const std::string& claim, std::uint64_t tweet, double conf = 0.5) {
    int idx = 0;
    for (const auto& c : m_in)
      if (c.batch_id == b) ++idx;
    m_in.push_back({b, idx, cat, claim, {tweet}, conf});
    m_dates[tweet] = "2024-01-" + std::string(tweet < 10 ? "0" : "") + std::to_string(tweet) + "T00:00:00Z";
  }
  Profile run(double similarity = 0.6) { return consolidate(m_in, m_dates, {similarity}); }
  const ProfileEntry* find(const Profile& p, const std::string& claim) {
    for (const auto& e : p.entries)
      if (e.claim == claim) return &e;
    return nullptr;
  }
  std::vector<ClaimInput> m_in;
  std::unordered_map<std::uint64_t, std::string> m_dates;
};

TEST_F(ConsolidateTest, SameClaimInOtherWordsIsOneEntry) {
  add(1, "preference", "Ada likes strong coffee.", 1, 0.6);
  add(2, "preference", "ada LIKES strong coffee!", 2, 0.5);
  add(3, "preference", "Ada really likes strong coffee in the morning", 3, 0.5);
  add(3, "habit", "Ada runs every morning", 4);
  const Profile p = run();
  ASSERT_EQ(p.entries.size(), 2u);
  const ProfileEntry& e = p.entries[1].category == "preference" ? p.entries[1] : p.entries[0];
  EXPECT_EQ(e.category, "preference");
  EXPECT_EQ(e.support, 3);
  EXPECT_EQ(e.mentions, 3);
  EXPECT_EQ(e.id, "k1-0");
  // The best-supported wording: the first two fold alike (2 batches), the third has one.
  EXPECT_EQ(e.claim, "Ada likes strong coffee.");
  EXPECT_EQ(e.wordings, (std::vector<std::string>{"Ada really likes strong coffee in the morning"}));
  EXPECT_NEAR(e.confidence, 1 - 0.4 * 0.5 * 0.5, 1e-12);  // noisy-OR
  ASSERT_EQ(e.evidence.size(), 3u);
  EXPECT_EQ(e.evidence.front().id, 3u);  // newest first
  EXPECT_EQ(e.first_seen, "2024-01-01T00:00:00Z");
  EXPECT_EQ(e.last_seen, "2024-01-03T00:00:00Z");
}

TEST_F(ConsolidateTest, ThresholdDecidesNearDuplicates) {
  // {ada, run, every, morning} vs {run, every, morning, before, work}: Jaccard 3/6 = 0.5.
  add(1, "habit", "Ada runs every morning", 1);
  add(2, "habit", "Runs every morning before work", 2);
  EXPECT_EQ(run(0.6).entries.size(), 2u);
  EXPECT_EQ(run(0.5).entries.size(), 1u);
}

TEST_F(ConsolidateTest, CategoriesNeverMerge) {
  add(1, "habit", "Ada runs every morning", 1);
  add(2, "identity", "Ada runs every morning", 2);
  add(3, "made-up", "Ada runs every morning", 3);  // unknown: other
  const Profile p = run();
  ASSERT_EQ(p.entries.size(), 3u);
  EXPECT_EQ(p.entries[0].category, "identity");  // the contract's order
  EXPECT_EQ(p.entries[2].category, "other");
}

TEST_F(ConsolidateTest, ContradictionsAreLinkedNotMerged) {
  add(1, "belief", "Ada believes open source matters", 1);
  add(2, "belief", "Ada believes open source matters.", 2);
  add(5, "belief", "Ada does not believe open source matters", 9);
  const Profile p = run();
  ASSERT_EQ(p.entries.size(), 2u);
  const ProfileEntry* yes = find(p, "Ada believes open source matters");
  const ProfileEntry* no = find(p, "Ada does not believe open source matters");
  ASSERT_TRUE(yes && no);
  EXPECT_EQ(yes->contradicts, std::vector<std::string>{no->id});
  EXPECT_EQ(no->contradicts, std::vector<std::string>{yes->id});
  // Both are shown, and the markdown says which side has the newer evidence.
  const std::string md = profile_markdown(p);
  EXPECT_NE(
      md.find("contradicted by: \"Ada believes open source matters\" (last seen 2024-01-02); the newer evidence is "
              "this entry's"),
      std::string::npos)
      << md;
}

TEST_F(ConsolidateTest, DeterministicWhateverTheInputOrder) {
  const char* claims[] = {"Ada likes coffee",   "Ada likes strong coffee", "Ada runs",       "Ada runs daily",
                          "Ada hates mornings", "Ada loves mornings",      "Ada writes C++", "Ada writes Rust"};
  for (int b = 1; b <= 40; ++b)
    add(b, b % 3 ? "habit" : "preference", claims[b % 8], static_cast<std::uint64_t>(b % 28 + 1), 0.1 * (b % 9));
  Profile a = run();
  a.username = "ada";
  std::mt19937 rng(7);
  std::shuffle(m_in.begin(), m_in.end(), rng);
  Profile b = run();
  b.username = "ada";
  EXPECT_EQ(profile_json(a), profile_json(b));
  EXPECT_EQ(profile_markdown(a), profile_markdown(b));
}

TEST_F(ConsolidateTest, JsonRoundTripsAndDiffs) {
  add(1, "habit", "Ada runs every morning", 1);
  add(2, "skill", "Ada writes C++", 2);
  Profile before = run();
  before.username = "ada";
  add(3, "habit", "ada runs every morning!", 3);
  add(3, "project", "Ada builds a compiler", 4);
  Profile after = run();
  after.username = "ada";
  auto parsed = parse_profile(profile_json(after));
  ASSERT_TRUE(parsed) << parsed.error().why;
  EXPECT_EQ(profile_json(*parsed), profile_json(after));
  const auto d = diff_profiles(before, after);
  ASSERT_EQ(d.added.size(), 1u);
  EXPECT_EQ(d.added[0].claim, "Ada builds a compiler");
  ASSERT_EQ(d.changed.size(), 1u);
  EXPECT_EQ(d.changed[0].what.front(), "support 1 -> 2");
  EXPECT_TRUE(d.dropped.empty());
  EXPECT_EQ(diff_profiles(after, before).dropped.size(), 1u);
  EXPECT_FALSE(parse_profile("{\"entries\": 3}"));
  const std::string md = profile_markdown(after);
  EXPECT_NE(md.find("[2024-01-03](https://x.com/ada/status/3)"), std::string::npos) << md;
}

}  // namespace
}  // namespace knowthy::knowledge
