#include "schedule/systemd.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "util/fs.hpp"

namespace knowthy::schedule {

namespace fs = std::filesystem;

namespace {

// An argument of ExecStart=: double-quoted, with systemd's escapes and `%` specifiers doubled.
std::string exec_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '%') out += '%';
    out += c;
  }
  return out + "\"";
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

Units make_units(const fs::path& knowthy, const fs::path& workspace, const CronExpr& cron, Zone zone) {
  Units u;
  u.service = fmt::format(
      "# Written by `knowthy schedule install`; `knowthy schedule uninstall` removes it.\n"
      "[Unit]\n"
      "Description=knowthy: one tick of the learning loop ({})\n\n"
      "[Service]\n"
      "Type=oneshot\n"
      "ExecStart={} --workspace {} tick\n"
      "# 75: another loop run holds the workspace's lock; this tick did nothing and the next one will.\n"
      "SuccessExitStatus=75\n"
      "Nice=10\n",
      workspace.string(), exec_quote(knowthy.string()), exec_quote(workspace.string()));
  std::string calendar;
  for (const auto& line : cron.on_calendar(zone)) calendar += "OnCalendar=" + line + "\n";
  u.timer = fmt::format(
      "# Written by `knowthy schedule install`; `knowthy schedule uninstall` removes it.\n"
      "[Unit]\n"
      "Description=knowthy: the learning loop's schedule ({}{})\n\n"
      "[Timer]\n"
      "{}"
      "# A machine that slept through due times ticks once on waking.\n"
      "Persistent=true\n\n"
      "[Install]\n"
      "WantedBy=timers.target\n",
      cron.text(), zone == Zone::utc ? ", UTC" : "", calendar);
  u.crontab = fmt::format("{}{} {} --workspace {} tick >/dev/null 2>&1", zone == Zone::utc ? "CRON_TZ=UTC\n" : "",
                          cron.text(), shell_quote(knowthy.string()), shell_quote(workspace.string()));
  return u;
}

fs::path user_unit_dir() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return fs::path(x) / "systemd" / "user";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : ".") / ".config" / "systemd" / "user";
}

Result<std::vector<fs::path>> write_units(const fs::path& dir, const Units& u) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(dir.string(), "cannot be created: " + ec.message());
  std::vector<fs::path> out;
  for (const auto& [ext, text] : {std::pair{".service", &u.service}, std::pair{".timer", &u.timer}}) {
    const fs::path p = dir / (std::string(k_unit_name) + ext);
    if (auto s = util::write_file_atomic(p, *text, 0644); !s) return std::unexpected(s.error());
    out.push_back(p);
  }
  return out;
}

Result<std::vector<fs::path>> remove_units(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const char* ext : {".timer", ".service"}) {
    const fs::path p = dir / (std::string(k_unit_name) + ext);
    std::error_code ec;
    if (fs::remove(p, ec)) out.push_back(p);
    if (ec) return fail(p.string(), "cannot be removed: " + ec.message());
  }
  return out;
}

}  // namespace knowthy::schedule
