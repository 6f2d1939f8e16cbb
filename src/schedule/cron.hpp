#pragma once
// A standard 5-field cron expression (minute hour day-of-month month day-of-week): `*`, lists,
// ranges, steps, month and day names (jan..dec, sun..sat; 0 and 7 are Sunday). As in Vixie cron,
// when both day fields are restricted (neither starts with `*`) a day matches either. Due times are found on the wall
// clock of the configured zone (the machine's local time with its DST, or UTC): a time inside a DST gap runs just after
// the clocks jump; a time in the repeated hour of a fall-back runs once.
#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace knowthy::schedule {

enum class Zone { local, utc };

class CronExpr {
 public:
  // Bad input naming the field and what is wrong with it.
  static Result<CronExpr> parse(std::string_view text);

  // The first due time strictly after `after` (seconds since the epoch), or -1 when there is
  // none within five years (e.g. February 30).
  std::int64_t next_after(std::int64_t after, Zone zone) const;

  // Whether the wall-clock minute matches (weekday 0 = Sunday).
  bool matches(int month, int day, int weekday, int hour, int minute) const;

  const std::string& text() const { return m_text; }

  // The same times as systemd OnCalendar= lines (a timer fires on any of them): one line, or two
  // when both day fields are restricted (the day-of-month line and the day-of-week line).
  std::vector<std::string> on_calendar(Zone zone) const;

 private:
  std::string m_text;
  std::bitset<60> m_minutes;
  std::bitset<24> m_hours;
  std::bitset<32> m_days;    // 1..31
  std::bitset<13> m_months;  // 1..12
  std::bitset<7> m_weekdays;
  bool m_days_star = false, m_weekdays_star = false;
};

}  // namespace knowthy::schedule
