#include "sample/time.hpp"

#include <charconv>
#include <cstdio>

namespace knowthy::sample {
namespace {

using std::size_t;

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

constexpr std::string_view k_wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::string_view k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

// "YYYY-MM-DD" -> epoch ms at 00:00 UTC.
std::optional<int64_t> parse_day(std::string_view s) {
  int y = 0, m = 0, d = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto num = [&](size_t a, size_t n, int& out) {
    auto r = std::from_chars(s.data() + a, s.data() + a + n, out);
    return r.ec == std::errc{} && r.ptr == s.data() + a + n;
  };
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d) || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  int64_t days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  Civil back = civil_from_days(days);
  if (back.m != static_cast<unsigned>(m) || back.d != static_cast<unsigned>(d)) return std::nullopt;  // 2023-02-30
  return days * k_day_ms;
}

int64_t day_ms(std::string_view s) { return parse_day(s).value_or(0); }  // for literals known to be valid

Clock clock_of(int64_t ms) {
  int64_t days = ms >= 0 ? ms / k_day_ms : (ms - k_day_ms + 1) / k_day_ms;
  int64_t rest = ms - days * k_day_ms;
  Clock k{civil_from_days(days), static_cast<unsigned>(((days % 7) + 11) % 7), 0, 0, 0, 0};
  k.h = static_cast<unsigned>(rest / k_hour_ms);
  k.mi = static_cast<unsigned>(rest / 60000 % 60);
  k.s = static_cast<unsigned>(rest / 1000 % 60);
  k.ms = static_cast<unsigned>(rest % 1000);
  return k;
}

// Tweet date format: "Thu Jun 27 08:35:37 +0000 2024" (locale independent).
std::string tw_date(int64_t ms) {
  Clock k = clock_of(ms);
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%s %s %02u %02u:%02u:%02u +0000 %04lld", k_wdays[k.wday].data(),
                        k_months[k.c.m - 1].data(), k.c.d, k.h, k.mi, k.s, static_cast<long long>(k.c.y));
  return std::string(buf, static_cast<size_t>(n));
}

// "2024-06-27T08:35:37.123Z" (with_ms) or "2024-06-27T08:35:37Z".
std::string iso(int64_t ms, bool with_ms) {
  Clock k = clock_of(ms);
  char buf[48];
  int n = with_ms ? std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ",
                                  static_cast<long long>(k.c.y), k.c.m, k.c.d, k.h, k.mi, k.s, k.ms)
                  : std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02uZ", static_cast<long long>(k.c.y),
                                  k.c.m, k.c.d, k.h, k.mi, k.s);
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace knowthy::sample
