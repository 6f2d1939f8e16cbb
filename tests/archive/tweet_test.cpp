#include "archive/tweet.hpp"

#include <gtest/gtest.h>

#include "archive/notes.hpp"

namespace knowthy::archive {
namespace {

Result<Tweet> parse(const std::string& json, std::string_view account = "42") {
  static simdjson::dom::parser parser;
  std::string padded = json + std::string(simdjson::SIMDJSON_PADDING, ' ');
  return parse_tweet(parser, std::string_view(padded.data(), json.size()), account);
}

std::string record(const std::string& full_text, const std::string& entities, const std::string& extra = "") {
  return R"({"tweet":{"id_str":"1765014949458977459","created_at":"Tue Mar 05 12:17:21 +0000 2024","full_text":)" +
         full_text + R"(,"lang":"en","entities":)" + entities + extra + "}}";
}

TEST(Tweet, LinksAfterEmojiAreExpandedByCodePoint) {
  // "😂 &amp; https://t.co/abc" : the link starts at code point 8 of the escaped text.
  auto t = parse(
      record(R"("\ud83d\ude02 &amp; https://t.co/abc")",
             R"({"urls":[{"url":"https://t.co/abc","expanded_url":"https://example.org/x","indices":["8","27"]}]})"));
  ASSERT_TRUE(t) << t.error().why;
  EXPECT_EQ(t->text, "\xF0\x9F\x98\x82 & https://example.org/x");
  EXPECT_EQ(t->id, 1765014949458977459ull);
  EXPECT_EQ(t->created_at, "2024-03-05T12:17:21Z");
  EXPECT_EQ(t->kind, TweetKind::original);
  EXPECT_EQ(t->urls_json, R"(["https://example.org/x"])");
}

TEST(Tweet, WrongIndicesFallBackToSearch) {
  auto t = parse(record(R"("see https://t.co/abc now")",
                        R"({"urls":[{"url":"https://t.co/abc","expanded_url":"https://e.org","indices":["0","3"]}]})"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->text, "see https://e.org now");
}

TEST(Tweet, KindsAndMedia) {
  auto rt = parse(record(R"("RT @bob: hello")", R"({"urls":[]})"));
  EXPECT_EQ(rt->kind, TweetKind::retweet);
  auto quote = parse(record(
      R"("this https://t.co/q")",
      R"({"urls":[{"url":"https://t.co/q","expanded_url":"https://x.com/bob/status/123","indices":["5","19"]}]})"));
  EXPECT_EQ(quote->kind, TweetKind::quote);
  auto self =
      parse(record(R"("(2/2) more")", R"({})", R"(,"in_reply_to_status_id_str":"7","in_reply_to_user_id_str":"42")"));
  EXPECT_EQ(self->kind, TweetKind::self_reply);
  EXPECT_EQ(self->in_reply_to, "7");
  auto reply =
      parse(record(R"("@bob @al_1 yes")", R"({"user_mentions":[{"screen_name":"bob"},{"screen_name":"al_1"}]})",
                   R"(,"in_reply_to_status_id_str":"7","in_reply_to_user_id_str":"9")"));
  EXPECT_EQ(reply->kind, TweetKind::reply);
  EXPECT_EQ(reply->leading_mentions, "@bob @al_1 ");
  EXPECT_EQ(reply->mentions_json, R"(["bob","al_1"])");
  auto photo = parse(record(
      R"("pic https://t.co/p")",
      R"({"media":[{"url":"https://t.co/p","expanded_url":"https://twitter.com/me/status/1765014949458977459/photo/1","indices":["4","18"]}]})",
      R"(,"extended_entities":{"media":[{},{},{}]})"));
  EXPECT_EQ(photo->kind, TweetKind::original);  // a link to one's own photo is not a quote
  EXPECT_EQ(photo->media_count, 3);
  EXPECT_EQ(photo->text, "pic https://twitter.com/me/status/1765014949458977459/photo/1");
}

TEST(Tweet, MissingFieldsAreErrors) {
  auto t = parse(R"({"tweet":{"created_at":"Tue Mar 05 12:17:21 +0000 2024","full_text":"x"}})");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().why.find("id_str"), std::string::npos);
  t = parse(R"({"tweet":{"id_str":"5","created_at":"Tue Mar 05 12:17:21 +0000 2024"}})");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().why.find("full_text"), std::string::npos);
  t = parse(R"({"tweet":{"id_str":"5","created_at":"yesterday","full_text":"x"}})");
  ASSERT_FALSE(t);
}

TEST(Notes, SameSecondThreadMatchesByText) {
  NoteMatcher m;
  std::string a(300, 'a'), b(300, 'b');
  a = "First & long post " + a;
  b = "Second post " + b;
  m.add(Note{"n1", "2024-03-05T12:17:21Z", a, "{}", 0, {}, {}, {}});
  m.add(Note{"n2", "2024-03-05T12:17:21Z", b, "{}", 0, {}, {}, {}});
  Tweet t2;
  t2.id = 2;
  t2.created_at = "2024-03-05T12:17:21Z";
  t2.leading_mentions = "@bob ";
  std::string full2 = "@bob Second post " + std::string(200, 'b') + "\xE2\x80\xA6 https://t.co/zz";
  ASSERT_TRUE(m.apply(t2, full2));
  EXPECT_EQ(t2.text, "@bob " + b);
  EXPECT_EQ(t2.note_id, "n2");
  Tweet t1;
  t1.id = 1;
  t1.created_at = "2024-03-05T12:17:21Z";
  ASSERT_TRUE(m.apply(t1, "First &amp; long post " + std::string(200, 'a') + "\xE2\x80\xA6"));
  EXPECT_EQ(t1.note_id, "n1");
  // Another second, or a text that is not a prefix: no match.
  Tweet t3;
  t3.id = 3;
  t3.created_at = "2024-03-05T12:17:22Z";
  EXPECT_FALSE(m.apply(t3, "First &amp; long post"));
  t3.created_at = "2024-03-05T12:17:21Z";
  EXPECT_FALSE(m.apply(t3, "Something else entirely, not a note at all"));
}

}  // namespace
}  // namespace knowthy::archive
