#include "schedule/daemon.hpp"

#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "util/signals.hpp"
#include "util/text.hpp"

namespace knowthy::schedule {

using nlohmann::json;

namespace {
constexpr std::int64_t k_max_wait_s = 60;  // a clock change is noticed within this long
constexpr int k_max_count = 1'000'000;     // due times counted at most (a clock years ahead)

const char* zone_name(Zone z) { return z == Zone::utc ? "utc" : "local"; }
json at(std::int64_t t) { return t == -1 ? json(nullptr) : json(util::unix_to_iso(t)); }
}  // namespace

std::int64_t SystemWallClock::now() { return static_cast<std::int64_t>(std::time(nullptr)); }
void SystemWallClock::wait(std::chrono::milliseconds d) { util::CancelOnSignal::sleep(d); }

Result<DaemonSettings> daemon_settings(const store::Config& cfg) {
  auto cron = CronExpr::parse(cfg.schedule.cron);
  if (!cron) {
    auto e = cron.error();
    e.what = "[schedule] cron: " + e.what;
    return std::unexpected(e);
  }
  return DaemonSettings{*cron, cfg.schedule.zone == "utc" ? Zone::utc : Zone::local};
}

Daemon::Daemon(DaemonSettings settings, WallClock& clock, DaemonHooks hooks)
    : m_settings(std::move(settings)), m_clock(clock), m_hooks(std::move(hooks)) {}

int Daemon::count_due(std::int64_t after, std::int64_t until) const {
  int n = 0;
  for (std::int64_t t = m_settings.cron.next_after(after, m_settings.zone); t != -1 && t <= until && n < k_max_count;
       t = m_settings.cron.next_after(t, m_settings.zone))
    ++n;
  return n;
}

DaemonStats Daemon::run(std::int64_t last_tick) {
  DaemonStats stats;
  std::int64_t now = m_clock.now();
  // Like Persistent=true: a due time that passed since the last tick (or none ever) ticks now; one
  // that passed is simply due already.
  std::int64_t due = last_tick <= 0 ? now : m_settings.cron.next_after(last_tick, m_settings.zone);
  m_hooks.log(
      {{"event", "start"}, {"cron", m_settings.cron.text()}, {"zone", zone_name(m_settings.zone)}, {"next", at(due)}});
  while (!m_hooks.stop_requested()) {
    if (m_hooks.take_reload()) {
      auto s = m_hooks.reload();
      if (s) {
        ++stats.reloads;
        m_settings = std::move(*s);
        now = m_clock.now();
        due = m_settings.cron.next_after(now, m_settings.zone);
        m_hooks.log({{"event", "reload"},
                     {"status", "ok"},
                     {"cron", m_settings.cron.text()},
                     {"zone", zone_name(m_settings.zone)},
                     {"next", at(due)}});
      } else {
        ++stats.bad_reloads;
        m_hooks.log({{"event", "reload"},
                     {"status", "failed"},
                     {"error", format_error(s.error())},
                     {"kept", m_settings.cron.text()}});
      }
      continue;
    }
    now = m_clock.now();
    if (due == -1) {  // a schedule with no due time (February 30): wait for a reload or a stop
      m_clock.wait(std::chrono::seconds(k_max_wait_s));
      continue;
    }
    if (now < due) {
      m_clock.wait(std::chrono::seconds(std::min(due - now, k_max_wait_s)));
      continue;
    }
    // Due times after `due` that have passed too (asleep, or the clock jumped) make no extra tick.
    if (const int missed = count_due(due, now); missed > 0) {
      stats.missed += missed;
      m_hooks.log(
          {{"event", "missed"},
           {"due_times", missed},
           {"from", util::unix_to_iso(due)},
           {"to", util::unix_to_iso(now)},
           {"reason", "they passed while the daemon was not running or the clock moved; one tick covers them"}});
    }
    m_hooks.tick();
    ++stats.ticks;
    const std::int64_t after = m_clock.now();
    // Never overlap, never repeat: the next due time is after both the tick's start and its end,
    // whichever is later (the clock may have gone back meanwhile).
    const std::int64_t served = std::max(now, after);
    if (const int busy = count_due(now, after); busy > 0) {
      stats.skipped_busy += busy;
      m_hooks.log({{"event", "skipped"}, {"due_times", busy}, {"reason", "they came while a tick was running"}});
    }
    due = m_settings.cron.next_after(served, m_settings.zone);
    m_hooks.log({{"event", "next"}, {"at", at(due)}});
  }
  return stats;
}

EventLog::EventLog(std::filesystem::path path, std::uint64_t max_bytes, int keep)
    : m_log(std::move(path), max_bytes, keep) {}

void EventLog::set_limits(std::uint64_t max_bytes, int keep) {
  std::lock_guard lk(m_mu);
  m_log.set_limits(max_bytes, keep);
}

void EventLog::write(json event) {
  json line{{"ts", util::now_iso()}, {"pid", static_cast<long>(::getpid())}};
  line.update(event);
  std::lock_guard lk(m_mu);
  // A log that cannot be written must not stop the loop; the tick's rows still record it.
  (void)m_log.write_line(line.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace knowthy::schedule
