// The report's HTML pieces: escaping, markdown with raw HTML refused, and charts whose marks match
// their data (with a title, a description and a table of the numbers).
#include "report/html.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace knowthy::report {
namespace {

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(ReportHtml, EscapesEverythingThatCouldBeMarkup) {
  EXPECT_EQ(esc("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
}

TEST(ReportHtml, MarkdownRendersButRawHtmlStaysText) {
  const std::string h = markdown("# Week\n\n- **bold** claim\n- <script>alert(1)</script> <img src=x onerror=y>\n");
  EXPECT_NE(h.find("<h1>Week</h1>"), std::string::npos) << h;
  EXPECT_NE(h.find("<strong>bold</strong>"), std::string::npos) << h;
  EXPECT_EQ(h.find("<script"), std::string::npos) << h;
  EXPECT_EQ(h.find("<img"), std::string::npos) << h;
  EXPECT_NE(h.find("&lt;script&gt;"), std::string::npos) << h;
}

TEST(ReportHtml, StackedBarsHaveABarPerLabelAndASegmentPerNonZeroValue) {
  Chart c{.id = "c1",
          .title = "T <1>",
          .desc = "D",
          .unit = "tweets",
          .labels = {"2024-01", "2024-02", "2024-03"},
          .series = {{"original", {3, 0, 5}}, {"reply", {1, 2, 0}}}};
  const std::string h = stacked_bars(c);
  EXPECT_EQ(count(h, "<g class=\"bar\""), 3u);
  EXPECT_EQ(count(h, "<rect "), 4u);
  EXPECT_NE(h.find("<title id=\"c1-t\">T &lt;1&gt;</title>"), std::string::npos);
  EXPECT_NE(h.find("aria-labelledby=\"c1-t c1-d\""), std::string::npos);
  EXPECT_EQ(count(h, "<tr>"), 4u);  // the numbers' table: a heading row and one per label
  // The tallest bar (5) reaches the top of the axis it sets (nice maximum 5).
  EXPECT_NE(h.find(">5</text>"), std::string::npos) << h;
}

TEST(ReportHtml, LineChartsSkipMissingPointsAndIntervalsShowTheirThreshold) {
  Chart c{.id = "c2", .title = "T", .desc = "D", .unit = "", .labels = {"a", "b", "c"}, .series = {{"s", {1, NAN, 2}}}};
  EXPECT_EQ(count(line_chart(c), "<circle class=\"pt"), 2u);
  IntervalRow r;
  r.name = "accuracy";
  r.value = 0.6, r.lo = 0.4, r.hi = 0.8, r.has_interval = true;
  r.threshold = 0.55, r.has_threshold = true, r.rule = "at least", r.pass = false;
  const std::string h = interval_chart("c3", "E", "D", {r});
  EXPECT_EQ(count(h, "<g class=\"metric fail\""), 1u);
  EXPECT_NE(h.find("data-value=\"0.6\""), std::string::npos) << h;
  EXPECT_NE(h.find("threshold: at least 0.55"), std::string::npos) << h;
  EXPECT_NE(h.find("95% interval [0.4, 0.8]"), std::string::npos) << h;
}

}  // namespace
}  // namespace knowthy::report
