#include "schedule/cron.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <ctime>
#include <vector>

namespace knowthy::schedule {

namespace {

struct Field {
  const char* name;
  int lo, hi;
  const std::array<const char*, 12>* names;  // names[i] is lo + i
};

const std::array<const char*, 12> k_months{"jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec"};
const std::array<const char*, 12> k_days{"sun", "mon", "tue", "wed", "thu", "fri", "sat", "", "", "", "", ""};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<int> value(std::string_view s, const Field& f, std::string_view whole) {
  if (f.names) {
    const std::string l = lower(s);
    for (size_t i = 0; i < f.names->size(); ++i)
      if ((*f.names)[i][0] && l == (*f.names)[i]) return f.lo + static_cast<int>(i);
  }
  int v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    return bad_input(
        "cron expression \"" + std::string(whole) + "\"",
        fmt::format("the {} field has \"{}\", which is not a number{}", f.name, s, f.names ? " or a name" : ""),
        "five fields: minute hour day-of-month month day-of-week, e.g. \"15 */4 * * *\"");
  // Sunday is 0 or 7.
  const int hi = f.lo == 0 && f.hi == 6 ? 7 : f.hi;
  if (v < f.lo || v > hi)
    return bad_input("cron expression \"" + std::string(whole) + "\"",
                     fmt::format("the {} field has {}, outside {}..{}", f.name, v, f.lo, hi));
  return v == 7 && hi == 7 ? 0 : v;
}

// One field: a comma list of `*`, `v`, `a-b`, each with an optional `/step`.
template <size_t N>
Result<bool> parse_field(std::string_view text, const Field& f, std::bitset<N>& out, std::string_view whole) {
  bool star = false;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    std::string_view part =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    int step = 1;
    if (const size_t slash = part.find('/'); slash != std::string_view::npos) {
      const std::string_view s = part.substr(slash + 1);
      const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
      if (ec != std::errc() || p != s.data() + s.size() || step <= 0)
        return bad_input("cron expression \"" + std::string(whole) + "\"",
                         fmt::format("the {} field has the step \"{}\", which is not a positive number", f.name, s));
      part = part.substr(0, slash);
    }
    int a = f.lo, b = f.hi;
    if (part == "*") {
      star = true;  // as Vixie cron: "*/2" is still a star for the day-of-month/day-of-week rule
    } else if (const size_t dash = part.find('-'); dash != std::string_view::npos && dash > 0) {
      auto x = value(part.substr(0, dash), f, whole);
      if (!x) return std::unexpected(x.error());
      auto y = value(part.substr(dash + 1), f, whole);
      if (!y) return std::unexpected(y.error());
      a = *x, b = *y;
      if (b == 0 && f.lo == 0 && f.hi == 6 && part.substr(dash + 1) != "0") b = 7;  // mon-7, fri-sun
      if (a > b)
        return bad_input("cron expression \"" + std::string(whole) + "\"",
                         fmt::format("the {} field has the range \"{}\", which runs backwards", f.name, part));
    } else {
      auto x = value(part, f, whole);
      if (!x) return std::unexpected(x.error());
      a = *x;
      b = step > 1 ? f.hi : *x;  // "5/15": from 5 to the end, every 15
    }
    for (int v = a; v <= b; v += step) out.set(static_cast<size_t>(v == 7 && f.hi == 6 ? 0 : v));
  }
  return star;
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian), and back.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
void civil_from_days(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

// The epoch second of a wall-clock time in `zone` (a time in a DST gap moves past it).
std::int64_t to_epoch(int y, int m, int d, int h, int min, Zone zone) {
  if (zone == Zone::utc)
    return days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) * 86400 + h * 3600 + min * 60;
  std::tm t{};
  t.tm_year = y - 1900, t.tm_mon = m - 1, t.tm_mday = d, t.tm_hour = h, t.tm_min = min, t.tm_isdst = -1;
  return static_cast<std::int64_t>(std::mktime(&t));
}

}  // namespace

Result<CronExpr> CronExpr::parse(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  if (fields.size() != 5)
    return bad_input("cron expression \"" + std::string(text) + "\"",
                     fmt::format("has {} fields, not 5", fields.size()),
                     "minute hour day-of-month month day-of-week, e.g. \"15 */4 * * *\"");
  CronExpr c;
  c.m_text = std::string(text);
  const Field fmin{"minute", 0, 59, nullptr}, fhour{"hour", 0, 23, nullptr}, fday{"day-of-month", 1, 31, nullptr},
      fmon{"month", 1, 12, &k_months}, fdow{"day-of-week", 0, 6, &k_days};
  if (auto r = parse_field(fields[0], fmin, c.m_minutes, text); !r) return std::unexpected(r.error());
  if (auto r = parse_field(fields[1], fhour, c.m_hours, text); !r) return std::unexpected(r.error());
  auto days = parse_field(fields[2], fday, c.m_days, text);
  if (!days) return std::unexpected(days.error());
  if (auto r = parse_field(fields[3], fmon, c.m_months, text); !r) return std::unexpected(r.error());
  auto dows = parse_field(fields[4], fdow, c.m_weekdays, text);
  if (!dows) return std::unexpected(dows.error());
  c.m_days_star = *days;
  c.m_weekdays_star = *dows;
  return c;
}

bool CronExpr::matches(int month, int day, int weekday, int hour, int minute) const {
  if (!m_months.test(static_cast<size_t>(month)) || !m_hours.test(static_cast<size_t>(hour)) ||
      !m_minutes.test(static_cast<size_t>(minute)))
    return false;
  const bool dom = m_days.test(static_cast<size_t>(day)), dow = m_weekdays.test(static_cast<size_t>(weekday));
  if (m_days_star || m_weekdays_star) return dom && dow;  // one of them is *: it matches every day
  return dom || dow;
}

std::int64_t CronExpr::next_after(std::int64_t after, Zone zone) const {
  // The wall clock of `after`, to the minute.
  const std::time_t t = static_cast<std::time_t>(after);
  std::tm w{};
  if (zone == Zone::utc)
    gmtime_r(&t, &w);
  else
    localtime_r(&t, &w);
  std::int64_t day =
      days_from_civil(w.tm_year + 1900, static_cast<unsigned>(w.tm_mon + 1), static_cast<unsigned>(w.tm_mday));
  int from = w.tm_hour * 60 + w.tm_min + 1;  // strictly after `after`'s wall-clock minute
  for (int n = 0; n < 366 * 5; ++n, ++day, from = 0) {
    int y, m, d;
    civil_from_days(day, y, m, d);
    const int weekday = static_cast<int>(((day % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
    if (!m_months.test(static_cast<size_t>(m))) continue;
    const bool dom = m_days.test(static_cast<size_t>(d)), dow = m_weekdays.test(static_cast<size_t>(weekday));
    if (!((m_days_star || m_weekdays_star) ? dom && dow : dom || dow)) continue;
    for (int hm = from; hm < 24 * 60; ++hm) {
      const int h = hm / 60, min = hm % 60;
      if (!m_hours.test(static_cast<size_t>(h)) || !m_minutes.test(static_cast<size_t>(min))) continue;
      const std::int64_t e = to_epoch(y, m, d, h, min, zone);
      if (e > after) return e;  // (a wall time repeated by a fall-back is not due twice)
    }
  }
  return -1;
}

namespace {

// A field as systemd writes it: `*`, or its values as a comma list (two digits where systemd pads).
template <size_t N>
std::string calendar_list(const std::bitset<N>& set, int lo, int hi, bool pad) {
  bool all = true;
  for (int v = lo; v <= hi; ++v) all = all && set.test(static_cast<size_t>(v));
  if (all) return "*";
  std::string out;
  for (int v = lo; v <= hi; ++v)
    if (set.test(static_cast<size_t>(v))) {
      if (!out.empty()) out += ',';
      out += pad ? fmt::format("{:02}", v) : std::to_string(v);
    }
  return out;
}

}  // namespace

std::vector<std::string> CronExpr::on_calendar(Zone zone) const {
  static const std::array<const char*, 7> k_names{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  std::string weekdays;
  for (size_t d = 0; d < 7; ++d)
    if (m_weekdays.test(d)) {
      if (!weekdays.empty()) weekdays += ',';
      weekdays += k_names[d];
    }
  const std::string months = calendar_list(m_months, 1, 12, true), days = calendar_list(m_days, 1, 31, true);
  const std::string time =
      fmt::format("{}:{}:00", calendar_list(m_hours, 0, 23, true), calendar_list(m_minutes, 0, 59, true));
  const auto line = [&](const std::string& dow, const std::string& dom) {
    return fmt::format("{}{}*-{}-{} {}{}", dow, dow.empty() ? "" : " ", months, dom, time,
                       zone == Zone::utc ? " UTC" : "");
  };
  const bool every_weekday = m_weekdays.all();
  if (m_days_star || m_weekdays_star) {
    // One line: both must hold (one of them matches every day).
    return {line(every_weekday ? "" : weekdays, days)};
  }
  return {line("", days), line(weekdays, "*")};  // either day
}

}  // namespace knowthy::schedule
