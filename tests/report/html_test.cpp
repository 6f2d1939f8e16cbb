// The report's HTML pieces: escaping, markdown with raw HTML refused, and charts whose marks match
// their data (with a title, a description and a table of the numbers).
#include "report/html.hpp"

#include "report/style.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

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

namespace knowthy::report {
namespace {

// WCAG 2 relative luminance and contrast ratio.
double luminance(const std::string& hex) {
  auto channel = [&](int i) {
    const double c = std::stoi(hex.substr(1 + 2 * i, 2), nullptr, 16) / 255.0;
    return c <= 0.03928 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}
double contrast(const std::string& a, const std::string& b) {
  const double la = luminance(a), lb = luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

// Both colour schemes of the style sheet pass WCAG AA: text 4.5:1 on its background, chart marks
// 3:1 (non-text contrast).
TEST(ReportHtml, BothColourSchemesPassWcagAa) {
  const std::string css = k_style;
  const auto dark_at = css.find("prefers-color-scheme:dark");
  ASSERT_NE(dark_at, std::string::npos);
  for (const bool dark : {false, true}) {
    const std::string block = dark ? css.substr(dark_at) : css.substr(0, dark_at);
    auto var = [&](const std::string& name) {
      const auto p = block.find("--" + name + ":#");
      EXPECT_NE(p, std::string::npos) << name;
      return p == std::string::npos ? std::string("#000000") : block.substr(p + name.size() + 3, 7);
    };
    for (const auto& [fg, bg] : std::vector<std::pair<std::string, std::string>>{{"fg", "bg"},
                                                                                 {"muted", "bg"},
                                                                                 {"muted", "panel"},
                                                                                 {"link", "bg"},
                                                                                 {"ok-fg", "ok-bg"},
                                                                                 {"bad-fg", "bad-bg"},
                                                                                 {"mid-fg", "mid-bg"}})
      EXPECT_GE(contrast(var(fg), var(bg)), 4.5) << (dark ? "dark: " : "light: ") << fg << " on " << bg;
    for (int s = 0; s < 6; ++s)
      EXPECT_GE(contrast(var("s" + std::to_string(s)), var("bg")), 3.0) << (dark ? "dark: s" : "light: s") << s;
  }
}

}  // namespace
}  // namespace knowthy::report
