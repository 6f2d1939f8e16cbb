#pragma once
// `knowthy daemon`: ticks on the [schedule] cron times. The scheduling is here, behind a wall
// clock and hooks, so that tests can move time, jump it and cross DST; the command wires it to the
// real clock, signals, the workspace lock and run_tick.
//
// - A tick starts when its due time has come; due times that pass while a tick runs are skipped
//   (and logged), so ticks never overlap.
// - A machine that slept through several due times, or a clock that jumped forward, gets one tick,
//   not one per missed time; a clock that jumps back never repeats a due time already served.
// - On start, a due time that passed since the last recorded tick (or no tick ever) ticks at once,
//   as systemd's Persistent=true does.
// - The wait is cut into pieces of at most a minute, so a clock change is seen within one.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "schedule/cron.hpp"
#include "store/config.hpp"
#include "util/result.hpp"
#include "util/rotating_log.hpp"

namespace knowthy::schedule {

class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual std::int64_t now() = 0;                      // seconds since the epoch
  virtual void wait(std::chrono::milliseconds d) = 0;  // may return early (a signal)
};

// time(2), and a wait that SIGTERM, SIGINT and SIGHUP cut short (util::CancelOnSignal::sleep).
class SystemWallClock final : public WallClock {
 public:
  std::int64_t now() override;
  void wait(std::chrono::milliseconds d) override;
};

struct DaemonSettings {
  CronExpr cron;
  Zone zone = Zone::local;
};
// From [schedule] cron and zone (for `schedule install` as well); bad input naming the key.
Result<DaemonSettings> daemon_settings(const store::Config& cfg);

struct DaemonHooks {
  std::function<void()> tick;                      // one tick (it logs its own outcome)
  std::function<Result<DaemonSettings>()> reload;  // SIGHUP: the configuration read again
  std::function<void(nlohmann::json)> log;         // an event for the log
  std::function<bool()> stop_requested;            // SIGTERM or SIGINT came
  std::function<bool()> take_reload;               // SIGHUP came (once per signal)
};

struct DaemonStats {
  int ticks = 0;
  int missed = 0;        // due times folded into a later tick (asleep, clock jumped)
  int skipped_busy = 0;  // due times that came while a tick ran
  int reloads = 0, bad_reloads = 0;
};

class Daemon {
 public:
  Daemon(DaemonSettings settings, WallClock& clock, DaemonHooks hooks);
  // Runs until a stop is requested. `last_tick`: when the last tick started (0: never).
  DaemonStats run(std::int64_t last_tick);

 private:
  int count_due(std::int64_t after, std::int64_t until) const;  // due times in (after, until]
  DaemonSettings m_settings;
  WallClock& m_clock;
  DaemonHooks m_hooks;
};

// JSON lines in `path` (rotated by size), each with "ts" and "pid"; safe to call from two threads
// (the stop timer writes while the tick may).
class EventLog {
 public:
  EventLog(std::filesystem::path path, std::uint64_t max_bytes, int keep);
  void write(nlohmann::json event);
  void set_limits(std::uint64_t max_bytes, int keep);
  const std::filesystem::path& path() const { return m_log.path(); }

 private:
  std::mutex m_mu;
  util::RotatingLog m_log;
};

}  // namespace knowthy::schedule
