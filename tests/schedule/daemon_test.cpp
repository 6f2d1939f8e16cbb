// The daemon's scheduling on a fake wall clock: ticks at due times only, never overlapping, one
// tick for many missed due times, no due time served twice when the clock goes back, DST in a
// local zone, the start-up catch-up, SIGHUP reloads, and the Monday report's week on the
// configured clock.
#include "schedule/daemon.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "knowledge/insights.hpp"

#include "support/support.hpp"

namespace knowthy::schedule {
namespace {

using nlohmann::json;

std::int64_t utc(int y, int mo, int d, int h, int mi, int s = 0) {
  std::tm t{};
  t.tm_year = y - 1900, t.tm_mon = mo - 1, t.tm_mday = d, t.tm_hour = h, t.tm_min = mi, t.tm_sec = s;
  return static_cast<std::int64_t>(timegm(&t));
}

using test::ScopedTz;

constexpr const char* k_cet = "CET-1CEST,M3.5.0,M10.5.0/3";  // Europe/Berlin's rule, as POSIX TZ

// Time moves only when the daemon waits (by the wait asked, whole seconds) or a test jumps it.
class FakeClock final : public WallClock {
 public:
  explicit FakeClock(std::int64_t t) : m_now(t) {}
  std::int64_t now() override { return m_now; }
  void wait(std::chrono::milliseconds d) override {
    ++waits;
    EXPECT_GT(d.count(), 0);
    EXPECT_LE(d.count(), 60'000) << "a clock change must be seen within a minute";
    m_now += std::max<std::int64_t>(1, (d.count() + 999) / 1000);
    if (on_wait) on_wait(*this);
  }
  void set(std::int64_t t) { m_now = t; }
  std::function<void(FakeClock&)> on_wait;
  int waits = 0;

 private:
  std::int64_t m_now;
};

DaemonSettings settings(const char* cron, Zone zone = Zone::utc) {
  auto c = CronExpr::parse(cron);
  EXPECT_TRUE(c);
  return {*c, zone};
}

struct Harness {
  FakeClock clock;
  std::int64_t stop_at;
  std::vector<std::int64_t> starts, ends;  // each tick's start and end on the fake clock
  std::function<void(FakeClock&)> during_tick;
  std::vector<json> events;
  bool reload_pending = false;
  std::function<Result<DaemonSettings>()> reload = [] { return Result<DaemonSettings>(settings("* * * * *")); };

  Harness(std::int64_t start, std::int64_t stop) : clock(start), stop_at(stop) {}

  DaemonStats run(const DaemonSettings& s, std::int64_t last_tick) {
    DaemonHooks h;
    h.tick = [this] {
      starts.push_back(clock.now());
      if (during_tick) during_tick(clock);
      ends.push_back(clock.now());
    };
    h.reload = [this] { return reload(); };
    h.log = [this](json e) { events.push_back(std::move(e)); };
    h.stop_requested = [this] { return clock.now() >= stop_at; };
    h.take_reload = [this] { return std::exchange(reload_pending, false); };
    Daemon d(s, clock, h);
    return d.run(last_tick);
  }
  int count(const std::string& event) const {
    int n = 0;
    for (const auto& e : events) n += e["event"] == event;
    return n;
  }
};

TEST(Daemon, TicksAtOnceWhenItNeverTickedThenAtEachDueTimeOnly) {
  const std::int64_t t0 = utc(2026, 11, 2, 9, 7);
  Harness h(t0, t0 + 24 * 3600);
  h.during_tick = [](FakeClock& c) { c.set(c.now() + 90); };  // a tick takes a minute and a half
  const auto stats = h.run(settings("15 */4 * * *"), 0);
  ASSERT_FALSE(h.starts.empty());
  EXPECT_EQ(h.starts.front(), t0);
  // Then 12:15, 16:15, 20:15, 00:15, 04:15, 08:15: to the second.
  const std::vector<std::int64_t> want{t0,
                                       utc(2026, 11, 2, 12, 15),
                                       utc(2026, 11, 2, 16, 15),
                                       utc(2026, 11, 2, 20, 15),
                                       utc(2026, 11, 3, 0, 15),
                                       utc(2026, 11, 3, 4, 15),
                                       utc(2026, 11, 3, 8, 15)};
  EXPECT_EQ(h.starts, want);
  EXPECT_EQ(stats.ticks, 7);
  EXPECT_EQ(stats.missed, 0);
  EXPECT_EQ(stats.skipped_busy, 0);
  // Idle between ticks: woken about once a minute, not busy-waiting.
  EXPECT_LT(h.clock.waits, 24 * 60 + 10);
}

TEST(Daemon, DueTimesDuringALongTickAreSkippedNeverOverlapped) {
  const std::int64_t t0 = utc(2026, 11, 2, 10, 0, 30);
  Harness h(t0, t0 + 12 * 3600);
  h.during_tick = [](FakeClock& c) { c.set(c.now() + 3 * 3600 + 600); };  // 3 h 10 min per tick
  const auto stats = h.run(settings("0 * * * *"), 0);
  ASSERT_GE(h.starts.size(), 3u);
  for (size_t i = 1; i < h.starts.size(); ++i) {
    EXPECT_GE(h.starts[i], h.ends[i - 1]) << "tick " << i << " overlaps the one before";
    EXPECT_EQ(h.starts[i] % 3600, 0) << "tick " << i << " is not at a due time";
  }
  EXPECT_EQ(stats.skipped_busy, 3 * static_cast<int>(h.starts.size()));  // three hours pass in each tick
  EXPECT_EQ(h.count("skipped"), static_cast<int>(h.starts.size()));
}

TEST(Daemon, AClockThatJumpsForwardGivesOneTickAndOneThatJumpsBackRepeatsNoDueTime) {
  const std::int64_t t0 = utc(2026, 11, 2, 10, 0, 30);
  Harness h(t0, t0 + 30 * 3600);
  bool jumped_forward = false, jumped_back = false;
  h.clock.on_wait = [&](FakeClock& c) {
    if (!jumped_forward && c.now() >= utc(2026, 11, 2, 10, 30)) {  // suspend for 10 hours
      jumped_forward = true;
      c.set(utc(2026, 11, 2, 20, 30));
    }
  };
  h.during_tick = [&](FakeClock& c) {
    if (jumped_forward && !jumped_back && c.now() >= utc(2026, 11, 2, 22, 0)) {  // NTP sets it back 3 h
      jumped_back = true;
      c.set(c.now() - 3 * 3600);
    }
  };
  const auto stats = h.run(settings("0 * * * *"), 0);
  ASSERT_TRUE(jumped_forward && jumped_back);
  // After the jump forward: one tick at 20:30 for the ten due times 11:00..20:00.
  EXPECT_EQ(stats.missed, 9);  // 11:00..19:00 folded into the tick that served 20:00
  EXPECT_EQ(h.count("missed"), 1);
  EXPECT_NE(std::find(h.starts.begin(), h.starts.end(), utc(2026, 11, 2, 20, 30)), h.starts.end());
  // Every due time (the hour a tick started in) is served once, even after the clock went back.
  std::set<std::int64_t> served;
  for (auto s : h.starts) EXPECT_TRUE(served.insert(s - s % 3600).second) << "the hour of " << s << " ran twice";
}

TEST(Daemon, OnStartItCatchesUpOnceOnlyWhenADueTimePassedSinceTheLastTick) {
  const std::int64_t t0 = utc(2026, 11, 2, 10, 20);
  {
    Harness h(t0, t0 + 60);  // the last tick was 10 h ago: ten hourly due times passed
    const auto stats = h.run(settings("0 * * * *"), t0 - 10 * 3600);
    ASSERT_EQ(h.starts.size(), 1u);
    EXPECT_EQ(h.starts[0], t0);
    EXPECT_EQ(stats.missed, 9);
  }
  {
    Harness h(t0, t0 + 30 * 60);  // the last tick was at 10:00: nothing due until 11:00
    h.run(settings("0 * * * *"), utc(2026, 11, 2, 10, 0));
    EXPECT_TRUE(h.starts.empty());
  }
}

TEST(Daemon, LocalTimeAcrossBothDstChangesTicksOnceADay) {
  ScopedTz tz(k_cet);
  {  // Spring forward, 2026-03-29 02:00 -> 03:00 CEST: 02:30 does not exist; it runs once, after the jump.
    const std::int64_t t0 = utc(2026, 3, 27, 12, 0);
    Harness h(t0, t0 + 4 * 86400);
    h.run(settings("30 2 * * *", Zone::local), t0 - 60);
    ASSERT_EQ(h.starts.size(), 4u);
    EXPECT_EQ(h.starts[0], utc(2026, 3, 28, 1, 30));  // 02:30 CET
    EXPECT_GE(h.starts[1], utc(2026, 3, 29, 1, 0));   // 03:00..03:30 CEST, just after the gap
    EXPECT_LE(h.starts[1], utc(2026, 3, 29, 1, 30));
    EXPECT_EQ(h.starts[2], utc(2026, 3, 30, 0, 30));  // 02:30 CEST
    EXPECT_EQ(h.starts[3], utc(2026, 3, 31, 0, 30));
  }
  {  // Fall back, 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice and runs once.
    const std::int64_t t0 = utc(2026, 10, 23, 12, 0);
    Harness h(t0, t0 + 4 * 86400);
    h.run(settings("30 2 * * *", Zone::local), t0 - 60);
    ASSERT_EQ(h.starts.size(), 4u);
    EXPECT_EQ(h.starts[1], utc(2026, 10, 25, 0, 30));  // the first 02:30 (CEST)
    EXPECT_EQ(h.starts[2], utc(2026, 10, 26, 1, 30));  // 02:30 CET the next day
  }
}

TEST(Daemon, SighupReloadsAndAnInvalidConfigurationKeepsTheOldSchedule) {
  const std::int64_t t0 = utc(2026, 11, 2, 10, 0, 30);
  Harness h(t0, t0 + 6 * 3600);
  int reloads = 0;
  h.clock.on_wait = [&](FakeClock& c) {
    if ((reloads == 0 && c.now() >= t0 + 1800) || (reloads == 1 && c.now() >= t0 + 3 * 3600 + 1800)) {
      ++reloads;
      h.reload_pending = true;
    }
  };
  h.reload = [&]() -> Result<DaemonSettings> {
    if (reloads == 1) return bad_input("[schedule] cron: minute", "\"61\" is out of range");
    return settings("0 */2 * * *");
  };
  const auto stats = h.run(settings("0 * * * *"), 0);
  EXPECT_EQ(stats.bad_reloads, 1);
  EXPECT_EQ(stats.reloads, 1);
  // Hourly (the bad reload at 10:30 changes nothing) until the good one at 13:30; then every two
  // hours.
  const std::vector<std::int64_t> want{t0,
                                       utc(2026, 11, 2, 11, 0),
                                       utc(2026, 11, 2, 12, 0),
                                       utc(2026, 11, 2, 13, 0),
                                       utc(2026, 11, 2, 14, 0),
                                       utc(2026, 11, 2, 16, 0)};
  EXPECT_EQ(h.starts, want);
  bool said = false;
  for (const auto& e : h.events)
    if (e["event"] == "reload" && e["status"] == "failed")
      said = e["error"].get<std::string>().find("out of range") != std::string::npos && e["kept"] == "0 * * * *";
  EXPECT_TRUE(said);
}

// The Monday report covers the week that ended at Monday midnight on the schedule's clock, and a
// tick days later (the machine asleep through Monday) still reports that week: none is missed.
TEST(Daemon, TheMondayReportsWeekFollowsTheConfiguredClock) {
  ScopedTz tz(k_cet);
  const std::int64_t monday_0030_cet = utc(2026, 11, 29, 23, 30);  // Mon 2026-11-30 00:30 CET
  EXPECT_EQ(knowledge::previous_local_iso_week(monday_0030_cet).label(), "2026-W48");
  EXPECT_EQ(knowledge::previous_iso_week(monday_0030_cet).label(), "2026-W47");  // still Sunday in UTC
  const auto wk = knowledge::previous_local_iso_week(monday_0030_cet);
  EXPECT_EQ(wk.start, utc(2026, 11, 22, 23, 0));  // Mon 2026-11-23 00:00 CET
  EXPECT_EQ(wk.end, utc(2026, 11, 29, 23, 0));
  // Asleep through Monday: Thursday's first tick reports the same week.
  EXPECT_EQ(knowledge::previous_local_iso_week(utc(2026, 12, 3, 9, 0)).label(), "2026-W48");
  // Across the change to summer time the week is 167 hours long.
  const auto spring = knowledge::previous_local_iso_week(utc(2026, 3, 30, 12, 0));
  EXPECT_EQ(spring.label(), "2026-W13");
  EXPECT_EQ(spring.end - spring.start, 167 * 3600);
}

}  // namespace
}  // namespace knowthy::schedule
