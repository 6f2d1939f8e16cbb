#include "knowledge/claim_text.hpp"

#include <gtest/gtest.h>

#include "util/text.hpp"

namespace knowthy::knowledge {
namespace {

TEST(ClaimText, FoldsUnicodeCaseAndPunctuation) {
  EXPECT_EQ(util::fold_case_nfkc("Ｃｏｆｆｅｅ"), "coffee");
  EXPECT_EQ(util::fold_case_nfkc("STRASSE Straße"), "strasse strasse");
  const auto a = claim_words("Ada likes strong coffee.");
  EXPECT_EQ(a.key, claim_words("ada LIKES strong   coffee!!").key);
  EXPECT_EQ(a.key, claim_words("Ａｄａ likes strong coffee").key);
  EXPECT_EQ(a.key, claim_words("Ada like strong coffee").key);  // plural/3rd person
  EXPECT_NE(a.key, claim_words("Ada likes weak coffee").key);
}

TEST(ClaimText, NegationIsPolarityNotContent) {
  const auto yes = claim_words("Ada likes coffee");
  const auto no = claim_words("Ada doesn't like coffee");
  const auto no2 = claim_words("Ada dislikes coffee");
  EXPECT_FALSE(yes.negated);
  EXPECT_TRUE(no.negated);
  EXPECT_TRUE(no2.negated);
  EXPECT_EQ(yes.content, no.content);
  EXPECT_EQ(yes.content, no2.content);
  EXPECT_NE(yes.key, no.key);
  EXPECT_FALSE(claim_words("It is not true that Ada never runs").negated);  // two negations
}

TEST(ClaimText, SplitsWordsJoiningApostrophes) {
  EXPECT_EQ(split_words("doesn't stop—ever, café!"), (std::vector<std::string>{"doesnt", "stop", "ever", "café"}));
  EXPECT_EQ(split_words("it’s 9am"), (std::vector<std::string>{"its", "9am"}));
}

TEST(ClaimText, Jaccard) {
  std::vector<std::uint64_t> a{1, 2, 3, 4}, b{3, 4, 5}, empty;
  EXPECT_DOUBLE_EQ(jaccard(a, b), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(jaccard(a, a), 1.0);
  EXPECT_DOUBLE_EQ(jaccard(a, empty), 0.0);
  EXPECT_DOUBLE_EQ(jaccard(empty, empty), 1.0);
}

}  // namespace
}  // namespace knowthy::knowledge
