#include "util/text.hpp"

#include <gtest/gtest.h>

namespace knowthy::util {
namespace {

TEST(Text, Utf8OffsetCountsCodePoints) {
  std::string s =
      "a\xF0\x9F\x98\x82"
      "b\xC3\xA9"
      "c";  // a 😂 b é c
  EXPECT_EQ(utf8_offset(s, 0), 0u);
  EXPECT_EQ(utf8_offset(s, 1), 1u);
  EXPECT_EQ(utf8_offset(s, 2), 5u);
  EXPECT_EQ(utf8_offset(s, 4), 8u);
  EXPECT_EQ(utf8_offset(s, 99), s.size());
}

TEST(Text, HtmlUnescapeOnlyTwitterEntities) {
  EXPECT_EQ(html_unescape("a &amp; b &lt;c&gt; &quot;x&quot; &amp;amp; & end &"),
            "a & b <c> &quot;x&quot; &amp; & end &");
}

TEST(Text, JsonString) {
  std::string out;
  append_json_string(out, "q\"b\\n\n\t\x01 é");
  EXPECT_EQ(out, "\"q\\\"b\\\\n\\n\\t\\u0001 é\"");
  out.clear();
  append_json_string(out, "\b\f\x1f");  // short forms where JSON has them, as Python writes
  EXPECT_EQ(out, "\"\\b\\f\\u001f\"");
}

TEST(Text, TwitterDates) {
  EXPECT_EQ(twitter_date_to_iso("Wed Oct 10 20:19:24 +0000 2018"), "2018-10-10T20:19:24Z");
  EXPECT_EQ(twitter_date_to_iso("Thu Feb 29 23:59:59 +0000 2024"), "2024-02-29T23:59:59Z");
  EXPECT_EQ(twitter_date_to_iso("Mon Dec 31 23:30:00 -0100 2018"), "2019-01-01T00:30:00Z");
  EXPECT_FALSE(twitter_date_to_iso("Thu Feb 30 23:59:59 +0000 2023"));
  EXPECT_FALSE(twitter_date_to_iso("Wed Foo 10 20:19:24 +0000 2018"));
  EXPECT_FALSE(twitter_date_to_iso("2018-10-10"));
  EXPECT_EQ(iso_to_seconds("2023-12-22T13:52:40.000Z"), "2023-12-22T13:52:40Z");
  EXPECT_FALSE(iso_to_seconds("2023-13-22T13:52:40.000Z"));
}

TEST(Text, ParseU64KeepsIdsAbove2To53) {
  EXPECT_EQ(parse_u64("1765014949458977459"), 1765014949458977459ull);
  EXPECT_FALSE(parse_u64("12a"));
  EXPECT_FALSE(parse_u64(""));
  EXPECT_FALSE(parse_u64("99999999999999999999999"));
}

}  // namespace
TEST(Text, Trim) {
  EXPECT_EQ(trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(trim("\n\n"), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("x"), "x");
}

TEST(Text, ValidUtf8ReplacesOnlyStrayBytes) {
  EXPECT_EQ(valid_utf8("plain"), "plain");
  EXPECT_EQ(valid_utf8("🙂 é 日本"), "🙂 é 日本");
  EXPECT_EQ(valid_utf8("a\xF0x"), "a\xEF\xBF\xBDx");      // a lead byte without its continuation
  EXPECT_EQ(valid_utf8("\xF0\x9F\x99"), "\xEF\xBF\xBD");  // cut off mid-character: one replacement
  EXPECT_EQ(valid_utf8("\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  // Well formed in shape but not valid (a surrogate, an overlong form): one character, replaced.
  EXPECT_EQ(valid_utf8("a\xED\xA0\x80"
                       "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(valid_utf8("\xF0\x80\x80\x80"), "\xEF\xBF\xBD");
}

TEST(Text, EditDistance) {
  EXPECT_EQ(edit_distance("batch_size", "batch_size"), 0u);
  EXPECT_EQ(edit_distance("batch_sise", "batch_size"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

}  // namespace knowthy::util
