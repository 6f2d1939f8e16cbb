#pragma once
// `knowthy report`: one self-contained HTML page of what the loop did and learned. It loads
// nothing from anywhere (a Content-Security-Policy forbids every other origin; the page's one
// style sheet and one small script are allowed by their hashes), draws its charts as inline SVG
// with a table of each chart's numbers, and shows no tweet text: claims link to their tweets on
// x.com by id. A section with nothing to show yet says so in one line.
#include <filesystem>
#include <string>

#include "store/config.hpp"
#include "store/workspace.hpp"
#include "util/result.hpp"

namespace knowthy::report {

struct ReportOptions {
  std::filesystem::path out;  // empty: workspace/reports/report-<UTC time>.html
  std::string now_iso;        // when it was written (shown in the page)
};

struct ReportResult {
  std::filesystem::path path;
  std::uint64_t bytes = 0;
  double seconds = 0;
};

// The page's HTML for the workspace as it is now.
Result<std::string> render_report(store::Workspace& ws, const store::Config& cfg, const std::string& now_iso);

// Renders and writes it (0600, write-to-temp-then-rename).
Result<ReportResult> write_report(store::Workspace& ws, const store::Config& cfg, const ReportOptions& options);

}  // namespace knowthy::report
