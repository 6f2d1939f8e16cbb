#pragma once
// `knowthy insights`: the weekly report, insights/YYYY-Www.md, for one ISO week: what was read,
// what the profile gained or changed (with evidence), dataset growth and flags, model candidates,
// and health. Written once: an existing report is left as it is unless forced.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "store/config.hpp"
#include "store/workspace.hpp"
#include "util/process.hpp"

namespace knowthy::knowledge {

struct IsoWeek {
  int year = 0, week = 0;
  // [Monday 00:00, next Monday 00:00) in UTC, or on the local clock for a week in_local_time() made
  std::int64_t start = 0, end = 0;
  std::string label() const;  // "2026-W48"
};

// "2026-W48"; bad input when malformed or when the year has no such week.
Result<IsoWeek> parse_iso_week(std::string_view s);
IsoWeek iso_week_of(std::int64_t t);
// The last complete ISO week before `now` (what the Monday report covers), in UTC.
IsoWeek previous_iso_week(std::int64_t now);
// The same, on the machine's local clock ([schedule] zone = "local"): the week that ended at the
// latest local Monday midnight, its bounds that midnight and the one a week before (DST included).
IsoWeek previous_local_iso_week(std::int64_t now);
// A UTC week's label with its bounds moved to the local midnights of the same dates.
IsoWeek in_local_time(IsoWeek week);

struct InsightsOptions {
  std::int64_t now = 0;
  bool force = false;
  // Writes the optional summary paragraph from the week's new claims; empty: no summary.
  std::function<Result<std::string>(const std::string& prompt)> summarize;
};

struct InsightsResult {
  std::string path;
  bool written = false;  // false: the report existed and was kept
};

// The summary paragraph's writer for [insights] model_summary: the model of `model` (loaded on
// first use, released with the function), with its retries.
std::function<Result<std::string>(const std::string& prompt)> model_summarizer(const store::Config& cfg,
                                                                               ProcessRunner& runner);

// The report's text (for tests and --print).
Result<std::string> render_insights(store::Workspace& ws, const IsoWeek& week, const InsightsOptions& options);
Result<InsightsResult> write_insights(store::Workspace& ws, const IsoWeek& week, const InsightsOptions& options);

}  // namespace knowthy::knowledge
