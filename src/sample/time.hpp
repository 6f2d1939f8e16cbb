#pragma once
// Dates for the sample archive: "YYYY-MM-DD" parsing and the archives' two timestamp formats, all
// UTC and locale independent.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace knowthy::sample {

using std::int64_t;

inline constexpr int64_t k_hour_ms = 3'600'000;
inline constexpr int64_t k_day_ms = 86'400'000;

struct Civil {
  int64_t y;
  unsigned m, d;
};

// "YYYY-MM-DD" -> epoch ms at 00:00 UTC.
std::optional<int64_t> parse_day(std::string_view s);

int64_t day_ms(std::string_view s);  // for literals known to be valid

struct Clock {
  Civil c;
  unsigned wday;  // 0 = Sunday
  unsigned h, mi, s, ms;
};

Clock clock_of(int64_t ms);

inline constexpr std::string_view k_wdays_long[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                    "Thursday", "Friday", "Saturday"};

// Tweet date format: "Thu Jun 27 08:35:37 +0000 2024" (locale independent).
std::string tw_date(int64_t ms);

// "2024-06-27T08:35:37.123Z" (with_ms) or "2024-06-27T08:35:37Z".
std::string iso(int64_t ms, bool with_ms);

}  // namespace knowthy::sample
