// The cron parser and its due times: fields, names, steps, the day-of-month/day-of-week rule, UTC
// and a local zone across both DST changes (a POSIX TZ rule, so no time zone database is needed).
#include "schedule/cron.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "support/support.hpp"

namespace knowthy::schedule {
namespace {

// Seconds since the epoch of a UTC time.
std::int64_t utc(int y, int mo, int d, int h, int mi) {
  std::tm t{};
  t.tm_year = y - 1900, t.tm_mon = mo - 1, t.tm_mday = d, t.tm_hour = h, t.tm_min = mi;
  return static_cast<std::int64_t>(timegm(&t));
}

CronExpr cron(const char* text) {
  auto c = CronExpr::parse(text);
  EXPECT_TRUE(c) << text << ": " << (c ? "" : c.error().why);
  return c ? *c : *CronExpr::parse("* * * * *");
}

using test::ScopedTz;

TEST(Cron, MalformedExpressionsAreBadInputSayingWhichField) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const auto& c : {Case{"* * *", "has 3 fields, not 5"}, Case{"61 * * * *", "the minute field has 61"},
                        Case{"* 24 * * *", "the hour field has 24"}, Case{"* * 0 * *", "day-of-month field has 0"},
                        Case{"* * * foo *", "the month field has \"foo\""}, Case{"5-1 * * * *", "runs backwards"},
                        Case{"*/0 * * * *", "not a positive number"}, Case{"* * * * 8", "outside 0..7"}}) {
    auto r = CronExpr::parse(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().kind, ErrorKind::bad_input);
    EXPECT_NE(r.error().why.find(c.says), std::string::npos) << c.text << ": " << r.error().why;
  }
}

TEST(Cron, NextDueTimesInUtc) {
  const auto from = utc(2026, 11, 29, 5, 23);  // a Sunday
  EXPECT_EQ(cron("15 */4 * * *").next_after(from, Zone::utc), utc(2026, 11, 29, 8, 15));
  EXPECT_EQ(cron("15 */4 * * *").next_after(utc(2026, 11, 29, 8, 15), Zone::utc), utc(2026, 11, 29, 12, 15));
  EXPECT_EQ(cron("* * * * *").next_after(from, Zone::utc), utc(2026, 11, 29, 5, 24));
  EXPECT_EQ(cron("0 0 * * mon").next_after(from, Zone::utc), utc(2026, 11, 30, 0, 0));
  EXPECT_EQ(cron("0 9 * JAN,jul sun").next_after(from, Zone::utc), utc(2027, 1, 3, 9, 0));
  EXPECT_EQ(cron("30 6 1 * *").next_after(from, Zone::utc), utc(2026, 12, 1, 6, 30));
  EXPECT_EQ(cron("0 22 * * 1-5").next_after(utc(2026, 12, 4, 22, 0), Zone::utc), utc(2026, 12, 7, 22, 0));
  EXPECT_EQ(cron("0 0 * * fri-sun").next_after(utc(2026, 12, 1, 0, 0), Zone::utc), utc(2026, 12, 4, 0, 0));
  EXPECT_EQ(cron("0 0 * * 7").next_after(from, Zone::utc), utc(2026, 12, 6, 0, 0));  // 7 is Sunday
  EXPECT_EQ(cron("5/20 * * * *").next_after(utc(2026, 11, 29, 5, 46), Zone::utc), utc(2026, 11, 29, 6, 5));
  EXPECT_EQ(cron("0 12 29 2 *").next_after(from, Zone::utc), utc(2028, 2, 29, 12, 0));  // leap day
  EXPECT_EQ(cron("0 0 30 2 *").next_after(from, Zone::utc), -1);                        // never
}

TEST(Cron, BothDayFieldsRestrictedMatchEitherDay) {
  // Vixie cron: the 13th, or any Friday.
  const auto c = cron("0 0 13 * fri");
  EXPECT_EQ(c.next_after(utc(2026, 11, 29, 0, 0), Zone::utc), utc(2026, 12, 4, 0, 0));   // Friday the 4th
  EXPECT_EQ(c.next_after(utc(2026, 12, 11, 0, 0), Zone::utc), utc(2026, 12, 13, 0, 0));  // Sunday the 13th
  // One of them `*`: the other alone decides.
  EXPECT_EQ(cron("0 0 * * fri").next_after(utc(2026, 12, 11, 0, 0), Zone::utc), utc(2026, 12, 18, 0, 0));
}

TEST(Cron, LocalTimeFollowsTheZoneAcrossBothDstChanges) {
  ScopedTz tz("CET-1CEST,M3.5.0,M10.5.0/3");  // Central Europe: +1, +2 from the last Sunday of March
  // 03:15 local every day: 02:15Z in winter, 01:15Z in summer.
  const auto daily = cron("15 3 * * *");
  EXPECT_EQ(daily.next_after(utc(2026, 3, 28, 12, 0), Zone::local), utc(2026, 3, 29, 1, 15));
  EXPECT_EQ(daily.next_after(utc(2026, 1, 10, 12, 0), Zone::local), utc(2026, 1, 11, 2, 15));
  // 02:30 does not exist on 2026-03-29 (02:00 -> 03:00): it runs once, just after the jump.
  const auto gap = cron("30 2 * * *");
  const auto spring = gap.next_after(utc(2026, 3, 28, 12, 0), Zone::local);
  EXPECT_GE(spring, utc(2026, 3, 29, 1, 0));
  EXPECT_LE(spring, utc(2026, 3, 29, 1, 30));
  EXPECT_EQ(gap.next_after(spring, Zone::local), utc(2026, 3, 30, 0, 30));
  // 02:30 happens twice on 2026-10-25 (03:00 -> 02:00): it is due once.
  const auto autumn = gap.next_after(utc(2026, 10, 24, 12, 0), Zone::local);
  EXPECT_TRUE(autumn == utc(2026, 10, 25, 0, 30) || autumn == utc(2026, 10, 25, 1, 30)) << autumn;
  EXPECT_EQ(gap.next_after(autumn, Zone::local), utc(2026, 10, 26, 1, 30));
  // Every 30 minutes through the fall-back night: strictly later each time, never a time twice.
  const auto half = cron("*/30 * * * *");
  std::int64_t t = utc(2026, 10, 24, 22, 0), runs = 0;
  while (true) {
    const auto next = half.next_after(t, Zone::local);
    ASSERT_GT(next, t);
    if (next > utc(2026, 10, 25, 4, 0)) break;
    t = next, ++runs;
  }
  // 22:00Z..04:00Z is 6 h, 12 half hours; the repeated local hour's two slots are not run again.
  EXPECT_GE(runs, 10);
  EXPECT_LE(runs, 12);
  // UTC ignores the zone.
  EXPECT_EQ(daily.next_after(utc(2026, 7, 1, 12, 0), Zone::utc), utc(2026, 7, 2, 3, 15));
}

}  // namespace
}  // namespace knowthy::schedule

namespace knowthy::schedule {
namespace {

TEST(Cron, OnCalendarLinesSayTheSameTimes) {
  EXPECT_EQ(cron("15 */4 * * *").on_calendar(Zone::local), std::vector<std::string>{"*-*-* 00,04,08,12,16,20:15:00"});
  EXPECT_EQ(cron("0 9 * jan,jul mon-fri").on_calendar(Zone::utc),
            std::vector<std::string>{"Mon,Tue,Wed,Thu,Fri *-01,07-* 09:00:00 UTC"});
  // Both day fields restricted: either day, so two lines (a timer fires on any of them).
  EXPECT_EQ(cron("30 6 13 * fri").on_calendar(Zone::local),
            (std::vector<std::string>{"*-*-13 06:30:00", "Fri *-*-* 06:30:00"}));
  // systemd itself accepts them, where it is installed.
  if (std::system("command -v systemd-analyze >/dev/null 2>&1") != 0) GTEST_SKIP() << "no systemd-analyze here";
  for (const char* c : {"15 */4 * * *", "0 9 * jan,jul mon-fri", "30 6 13 * fri", "*/7 1-3 1,15 * *"})
    for (const auto& line : cron(c).on_calendar(Zone::utc))
      EXPECT_EQ(std::system(("systemd-analyze calendar '" + line + "' >/dev/null 2>&1").c_str()), 0) << line;
}

}  // namespace
}  // namespace knowthy::schedule
