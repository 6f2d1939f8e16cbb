#pragma once
// The report's HTML pieces: escaping, charts drawn as inline SVG (each with a title, a description
// and a table of its numbers beside it, so it reads without the picture), tables, and markdown
// rendered by md4c with raw HTML refused. Nothing here loads anything from anywhere.
#include <string>
#include <string_view>
#include <vector>

namespace knowthy::report {

// &, <, >, " and ' as entities: safe in text and in quoted attributes.
std::string esc(std::string_view s);

// Markdown (CommonMark + tables) to HTML; raw HTML in it is shown as text, never passed through.
std::string markdown(std::string_view md);

struct Series {
  std::string name;
  std::vector<double> values;  // one per label
};

struct Chart {
  std::string id;     // unique in the page: the SVG's title and description ids derive from it
  std::string title;  // what the chart shows
  std::string desc;   // one sentence on how to read it
  std::string unit;   // of the values (for the table's heading)
  std::vector<std::string> labels;
  std::vector<Series> series;
};

// One <g class="bar"> per label, a stacked <rect> per non-zero series value.
std::string stacked_bars(const Chart& c);
// One <polyline> per series and a <circle class="pt"> per point.
std::string line_chart(const Chart& c);

// A value with its interval against its threshold: one <g class="metric"> per row.
struct IntervalRow {
  std::string name;
  double value = 0, lo = 0, hi = 0;
  bool has_interval = false;
  double threshold = 0;
  bool has_threshold = false;
  std::string rule;  // "at least" or "at most": how the threshold applies
  bool pass = true;
};
std::string interval_chart(const std::string& id, const std::string& title, const std::string& desc,
                           const std::vector<IntervalRow>& rows);

// Cells are HTML already (escape text with esc()).
std::string table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows,
                  const std::string& caption = {});

std::string number(double v);  // short: 12, 0.553, 1.2e+06

}  // namespace knowthy::report
