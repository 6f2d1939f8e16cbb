#include "archive/ytd.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace knowthy::archive {
namespace {

// Hands out the input a few bytes at a time, so every record straddles refills.
class TrickleReader final : public EntryReader {
 public:
  TrickleReader(std::string s, size_t step) : m_s(std::move(s)), m_step(step) {}
  Result<size_t> read(char* buf, size_t n) override {
    size_t k = std::min({n, m_step, m_s.size() - m_pos});
    std::memcpy(buf, m_s.data() + m_pos, k);
    m_pos += k;
    return k;
  }

 private:
  std::string m_s;
  size_t m_step, m_pos = 0;
};

std::vector<std::string> records(const std::string& text, size_t step, std::string* error = nullptr) {
  TrickleReader in(text, step);
  YtdReader r(in, "data/x.js");
  std::vector<std::string> out;
  auto p = r.read_prefix();
  if (!p) {
    if (error) *error = p.error().why;
    return out;
  }
  for (;;) {
    auto rec = r.next();
    if (!rec) {
      if (error) *error = rec.error().why;
      break;
    }
    if (rec->empty()) break;
    out.emplace_back(*rec);
  }
  return out;
}

TEST(Ytd, SplitsRecordsWithBracesAndEscapesInStrings) {
  std::string text =
      "window.YTD.tweets.part0 = [ {\n  \"a\" : \"} { ] [\"\n}, {\"b\" : \"say \\\"hi\\\" \\\\\" , \"c\" : [ { } ]},"
      "{\"d\":\"\xF0\x9F\x98\x82\"} ]";
  for (size_t step : {1u, 2u, 3u, 7u, 4096u}) {
    auto recs = records(text, step);
    ASSERT_EQ(recs.size(), 3u) << step;
    EXPECT_EQ(recs[0], "{\n  \"a\" : \"} { ] [\"\n}");
    EXPECT_EQ(recs[1], "{\"b\" : \"say \\\"hi\\\" \\\\\" , \"c\" : [ { } ]}");
    EXPECT_EQ(recs[2], "{\"d\":\"\xF0\x9F\x98\x82\"}");
  }
}

TEST(Ytd, EmptyFile) {
  std::string err;
  EXPECT_TRUE(records("window.YTD.tweets.part0 = [ ]", 1, &err).empty());
  EXPECT_TRUE(err.empty()) << err;
}

TEST(Ytd, LargeRecordGrowsBuffer) {
  std::string big(9 << 20, 'x');  // larger than the 4 MB read chunk
  auto recs = records("window.YTD.tweets.part0 = [ {\"t\":\"" + big + "\"} ]", 1 << 20);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].size(), big.size() + 8);
}

TEST(Ytd, Errors) {
  std::string err;
  records("[ {} ]", 5, &err);
  EXPECT_NE(err.find("prefix"), std::string::npos);
  err.clear();
  records("window.YTD.tweets.part0 = [ {\"a\":1}, {\"b\":", 5, &err);
  EXPECT_NE(err.find("cut off"), std::string::npos) << err;
  err.clear();
  records("window.YTD.tweets.part0 = [ {\"a\":1} {\"b\":2} ]", 5, &err);
  EXPECT_NE(err.find("expected `,`"), std::string::npos) << err;
  err.clear();
  records("window.YTD.tweets.part0 = [ {\"a\":1}", 5, &err);
  EXPECT_NE(err.find("not closed"), std::string::npos) << err;
}

}  // namespace
}  // namespace knowthy::archive
