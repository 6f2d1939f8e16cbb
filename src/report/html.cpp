#include "report/html.hpp"

#include <fmt/format.h>
#include <md4c-html.h>

#include <algorithm>
#include <cmath>

namespace knowthy::report {

namespace {

constexpr double k_w = 720, k_h = 240;                                  // the SVG's own units
constexpr double k_left = 56, k_right = 12, k_top = 12, k_bottom = 44;  // the plot's margins
constexpr size_t k_max_ticks = 12;                                      // x labels written at most

// A round number at or above `v`, for the y axis.
double nice_max(double v) {
  if (v <= 0) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * p >= v) return m * p;
  return 10 * p;
}

std::string svg_open(const Chart& c) {
  return fmt::format(
      "<svg class=\"chart\" id=\"{0}\" viewBox=\"0 0 {1} {2}\" role=\"img\" aria-labelledby=\"{0}-t {0}-d\" "
      "preserveAspectRatio=\"xMidYMid meet\"><title id=\"{0}-t\">{3}</title><desc id=\"{0}-d\">{4}</desc>",
      esc(c.id), k_w, k_h, esc(c.title), esc(c.desc));
}

std::string axes(double ymax, const std::vector<std::string>& labels, double slot) {
  std::string s;
  const double plot_h = k_h - k_top - k_bottom;
  for (int i = 0; i <= 4; ++i) {
    const double y = k_top + plot_h * (1 - i / 4.0);
    s += fmt::format("<line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>", k_left, k_w - k_right, y,
                     y);
    s += fmt::format("<text class=\"ax\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", k_left - 6, y + 4,
                     esc(number(ymax * i / 4.0)));
  }
  const size_t every = std::max<size_t>(1, (labels.size() + k_max_ticks - 1) / k_max_ticks);
  for (size_t i = 0; i < labels.size(); i += every)
    s += fmt::format("<text class=\"ax\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                     k_left + slot * (static_cast<double>(i) + 0.5), k_h - k_bottom + 16, esc(labels[i]));
  return s;
}

std::string numbers_table(const Chart& c) {
  std::vector<std::string> head{
      "",
  };
  for (const auto& s : c.series)
    head.push_back(c.unit.empty() ? esc(s.name) : fmt::format("{} ({})", esc(s.name), esc(c.unit)));
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < c.labels.size(); ++i) {
    std::vector<std::string> row{esc(c.labels[i])};
    for (const auto& s : c.series) row.push_back(i < s.values.size() ? number(s.values[i]) : "");
    rows.push_back(std::move(row));
  }
  return "<details class=\"numbers\"><summary>The numbers: " + esc(c.title) + "</summary>" + table(head, rows) +
         "</details>";
}

}  // namespace

std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "n/a";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{:.3g}", v);
}

std::string markdown(std::string_view md) {
  std::string out;
  md_html(
      md.data(), static_cast<MD_SIZE>(md.size()),
      [](const MD_CHAR* text, MD_SIZE size, void* user) { static_cast<std::string*>(user)->append(text, size); }, &out,
      MD_FLAG_NOHTML | MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_PERMISSIVEAUTOLINKS, 0);
  return out;
}

std::string table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows,
                  const std::string& caption) {
  std::string s = "<div class=\"scroll\"><table>";
  if (!caption.empty()) s += "<caption>" + caption + "</caption>";
  s += "<thead><tr>";
  for (const auto& h : head) s += "<th scope=\"col\">" + h + "</th>";
  s += "</tr></thead><tbody>";
  for (const auto& r : rows) {
    s += "<tr>";
    for (const auto& cell : r) s += "<td>" + cell + "</td>";
    s += "</tr>";
  }
  return s + "</tbody></table></div>";
}

std::string stacked_bars(const Chart& c) {
  const size_t n = c.labels.size();
  double ymax = 0;
  for (size_t i = 0; i < n; ++i) {
    double sum = 0;
    for (const auto& s : c.series) sum += i < s.values.size() ? s.values[i] : 0;
    ymax = std::max(ymax, sum);
  }
  ymax = nice_max(ymax);
  const double plot_w = k_w - k_left - k_right, plot_h = k_h - k_top - k_bottom;
  const double slot = plot_w / static_cast<double>(std::max<size_t>(1, n));
  const double bar = std::max(0.5, slot * 0.8);
  std::string svg = svg_open(c) + axes(ymax, c.labels, slot);
  for (size_t i = 0; i < n; ++i) {
    svg += fmt::format("<g class=\"bar\" data-label=\"{}\">", esc(c.labels[i]));
    double base = 0;
    for (size_t k = 0; k < c.series.size(); ++k) {
      const double v = i < c.series[k].values.size() ? c.series[k].values[i] : 0;
      if (v <= 0) continue;
      const double y0 = k_top + plot_h * (1 - base / ymax), y1 = k_top + plot_h * (1 - (base + v) / ymax);
      svg += fmt::format(
          "<rect class=\"s{}\" x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" "
          "data-value=\"{}\"><title>{} "
          "{}: {}</title></rect>",
          k % 6, k_left + slot * static_cast<double>(i) + (slot - bar) / 2, y1, bar, y0 - y1, number(v),
          esc(c.labels[i]), esc(c.series[k].name), number(v));
      base += v;
    }
    svg += "</g>";
  }
  svg += "</svg>";
  std::string legend = "<ul class=\"legend\">";
  for (size_t k = 0; k < c.series.size(); ++k)
    legend += fmt::format("<li><span class=\"key s{}\"></span>{}</li>", k % 6, esc(c.series[k].name));
  return "<figure><div class=\"scroll\">" + svg + "</div>" + legend + "</ul>" + numbers_table(c) + "</figure>";
}

std::string line_chart(const Chart& c) {
  const size_t n = c.labels.size();
  double ymax = 0;
  for (const auto& s : c.series)
    for (double v : s.values)
      if (!std::isnan(v)) ymax = std::max(ymax, v);
  ymax = nice_max(ymax);
  const double plot_w = k_w - k_left - k_right, plot_h = k_h - k_top - k_bottom;
  const double slot = plot_w / static_cast<double>(std::max<size_t>(1, n));
  std::string svg = svg_open(c) + axes(ymax, c.labels, slot);
  for (size_t k = 0; k < c.series.size(); ++k) {
    std::string points, dots;
    for (size_t i = 0; i < n && i < c.series[k].values.size(); ++i) {
      const double v = c.series[k].values[i];
      if (std::isnan(v)) continue;
      const double x = k_left + slot * (static_cast<double>(i) + 0.5), y = k_top + plot_h * (1 - v / ymax);
      points += fmt::format("{:.2f},{:.2f} ", x, y);
      dots += fmt::format(
          "<circle class=\"pt s{}\" cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3\" data-value=\"{}\"><title>{} {}: "
          "{}</title></circle>",
          k % 6, x, y, number(v), esc(c.labels[i]), esc(c.series[k].name), number(v));
    }
    svg += fmt::format("<g class=\"series\" data-series=\"{}\"><polyline class=\"ln s{}\" points=\"{}\"/>{}</g>",
                       esc(c.series[k].name), k % 6, points, dots);
  }
  svg += "</svg>";
  std::string legend = "<ul class=\"legend\">";
  for (size_t k = 0; k < c.series.size(); ++k)
    legend += fmt::format("<li><span class=\"key s{}\"></span>{}</li>", k % 6, esc(c.series[k].name));
  return "<figure><div class=\"scroll\">" + svg + "</div>" + legend + "</ul>" + numbers_table(c) + "</figure>";
}

std::string interval_chart(const std::string& id, const std::string& title, const std::string& desc,
                           const std::vector<IntervalRow>& rows) {
  const double row_h = 34, top = 8, label_w = 200, plot_l = label_w + 8, plot_r = k_w - 16;
  const double h = top * 2 + row_h * static_cast<double>(rows.size());
  std::string svg = fmt::format(
      "<svg class=\"chart\" id=\"{0}\" viewBox=\"0 0 {1} {2}\" role=\"img\" aria-labelledby=\"{0}-t {0}-d\"><title "
      "id=\"{0}-t\">{3}</title><desc id=\"{0}-d\">{4}</desc>",
      esc(id), k_w, h, esc(title), esc(desc));
  std::vector<std::vector<std::string>> table_rows;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    double lo = std::min({r.value, r.has_interval ? r.lo : r.value, r.has_threshold ? r.threshold : r.value});
    double hi = std::max({r.value, r.has_interval ? r.hi : r.value, r.has_threshold ? r.threshold : r.value});
    const double pad = std::max(1e-6, (hi - lo) * 0.15 + std::fabs(hi) * 0.02);
    lo -= pad, hi += pad;
    const auto x = [&](double v) { return plot_l + (plot_r - plot_l) * (v - lo) / (hi - lo); };
    const double y = top + row_h * (static_cast<double>(i) + 0.5);
    svg += fmt::format("<g class=\"metric {}\" data-name=\"{}\" data-value=\"{}\">", r.pass ? "pass" : "fail",
                       esc(r.name), number(r.value));
    svg += fmt::format("<text class=\"lbl\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", label_w, y + 4,
                       esc(r.name));
    svg += fmt::format("<line class=\"axis\" x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>", plot_l, plot_r, y, y);
    if (r.has_interval)
      svg += fmt::format(
          "<line class=\"ci\" x1=\"{:.2f}\" x2=\"{:.2f}\" y1=\"{:.1f}\" y2=\"{:.1f}\"><title>95% interval "
          "[{}, {}]</title></line>",
          x(r.lo), x(r.hi), y, y, number(r.lo), number(r.hi));
    if (r.has_threshold)
      svg += fmt::format(
          "<line class=\"thr\" x1=\"{0:.2f}\" x2=\"{0:.2f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\"><title>threshold: "
          "{3} {4}</title></line>",
          x(r.threshold), y - 11, y + 11, esc(r.rule), number(r.threshold));
    svg += fmt::format("<circle class=\"val\" cx=\"{:.2f}\" cy=\"{:.1f}\" r=\"5\"><title>{}: {}</title></circle></g>",
                       x(r.value), y, esc(r.name), number(r.value));
    table_rows.push_back({esc(r.name), number(r.value),
                          r.has_interval ? fmt::format("[{}, {}]", number(r.lo), number(r.hi)) : std::string(),
                          r.has_threshold ? fmt::format("{} {}", esc(r.rule), number(r.threshold)) : std::string(),
                          r.pass ? "pass" : "fail"});
  }
  svg += "</svg>";
  return "<figure><div class=\"scroll\">" + svg +
         "</div><details class=\"numbers\"><summary>The numbers: " + esc(title) + "</summary>" +
         table({"metric", "value", "95% interval", "threshold", ""}, table_rows) + "</details></figure>";
}

}  // namespace knowthy::report
