#pragma once
// `knowthy schedule`: the loop on a systemd user timer instead of the daemon. A oneshot service
// runs `knowthy --workspace DIR tick` (exit 75, another run holding the lock, counts as success);
// the timer fires on the cron expression's OnCalendar= equivalent, with Persistent=true so that a
// machine that slept through due times ticks once on waking.
#include <filesystem>
#include <string>
#include <vector>

#include "schedule/cron.hpp"
#include "util/result.hpp"

namespace knowthy::schedule {

struct Units {
  std::string service, timer;  // the files' text
  std::string crontab;         // the same schedule as a crontab line, for those without systemd
};

inline constexpr const char* k_unit_name = "knowthy-tick";

Units make_units(const std::filesystem::path& knowthy, const std::filesystem::path& workspace, const CronExpr& cron,
                 Zone zone);

// $XDG_CONFIG_HOME/systemd/user, or ~/.config/systemd/user.
std::filesystem::path user_unit_dir();

// Writes both files into `dir` (atomically); returns their paths.
Result<std::vector<std::filesystem::path>> write_units(const std::filesystem::path& dir, const Units& u);
// Removes them; returns those that existed.
Result<std::vector<std::filesystem::path>> remove_units(const std::filesystem::path& dir);

}  // namespace knowthy::schedule
