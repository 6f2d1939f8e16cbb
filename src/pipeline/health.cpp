#include "pipeline/health.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <filesystem>

#include "pipeline/integrity.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace knowthy::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

const char* check_status_name(CheckStatus s) {
  switch (s) {
    case CheckStatus::ok: return "ok";
    case CheckStatus::warn: return "warn";
    case CheckStatus::fail: return "fail";
  }
  return "fail";
}

CheckStatus HealthReport::overall() const {
  CheckStatus worst = CheckStatus::ok;
  for (const auto& c : checks) worst = std::max(worst, c.status);
  return worst;
}

json HealthReport::to_json() const {
  json checks_j = json::array();
  for (const auto& c : checks)
    checks_j.push_back({{"name", c.name}, {"status", check_status_name(c.status)}, {"reason", c.reason}});
  return {{"checked_at", checked_at}, {"status", check_status_name(overall())}, {"checks", checks_j}};
}

namespace {

using S = CheckStatus;

std::string hours(std::int64_t seconds) {
  return seconds < 2 * 3600 ? fmt::format("{} min", seconds / 60) : fmt::format("{:.1f} h", seconds / 3600.0);
}

// The workspace folder and everything knowthy keeps at its top and in its folders must be private
// to the owner (0700 folders, 0600 files). runs/ is checked folder by folder, not file by file.
HealthCheck permissions(const store::Workspace& ws) {
  std::vector<std::string> open;
  auto check = [&](const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || S_ISLNK(st.st_mode)) return;
    if (st.st_mode & 077)
      open.push_back(fmt::format("{} ({:o})", fs::relative(p, ws.dir()).string(), st.st_mode & 0777));
  };
  std::error_code ec;
  struct stat st {};
  if (::stat(ws.dir().c_str(), &st) == 0 && (st.st_mode & 077))
    open.push_back(fmt::format("the workspace folder ({:o})", st.st_mode & 0777));
  for (const auto& e : fs::directory_iterator(ws.dir(), ec)) {
    check(e.path());
    if (e.is_directory(ec))
      for (const auto& f : fs::directory_iterator(e.path(), ec)) check(f.path());
  }
  if (open.empty()) return {"permissions", S::ok, "the workspace is private to its owner (0700 / 0600)"};
  std::string list;
  for (size_t i = 0; i < open.size() && i < 5; ++i) list += (i ? ", " : "") + open[i];
  if (open.size() > 5) list += fmt::format(" and {} more", open.size() - 5);
  return {"permissions", S::fail,
          fmt::format("readable or writable by others: {}; fix with `chmod -R go-rwx {}`", list, ws.dir().string())};
}

HealthCheck database(store::Db& db) {
  auto st = db.prepare("PRAGMA quick_check");
  if (!st) return {"database", S::fail, st.error().why};
  std::vector<std::string> problems;
  auto s = st->each_row([&] {
    if (st->column_text(0) != "ok") problems.push_back(st->column_text(0));
  });
  if (!s) return {"database", S::fail, s.error().why};
  if (problems.empty()) return {"database", S::ok, "SQLite quick_check: ok"};
  return {"database", S::fail,
          fmt::format("SQLite quick_check: {} ({} problems); restore knowthy.db from a backup", problems.front(),
                      problems.size())};
}

HealthCheck consistency(store::Workspace& ws, bool loop_may_run) {
  auto rep = check_integrity(ws, {.sqlite_check = false, .loop_may_run = loop_may_run});
  if (!rep) return {"batches", S::fail, rep.error().why};
  if (rep->problems.empty())
    return {"batches", S::ok,
            fmt::format("{} batches hold {} tweets, each tweet in one batch; database and runs/ agree",
                        rep->batches_checked, rep->tweets_in_batches)};
  return {"batches", S::fail,
          fmt::format("{} problem(s), the first: {}; `knowthy verify` lists them", rep->problems.size(),
                      rep->problems.front())};
}

HealthCheck failure_rate(store::Db& db, const store::Config::Health& h) {
  auto st = db.prepare(R"sql(
SELECT COUNT(*), COALESCE(SUM(status = 'failed'), 0) FROM (
  SELECT status FROM batches WHERE status IN ('done','failed') ORDER BY finished_at DESC, id DESC LIMIT ?1))sql");
  if (!st) return {"failures", S::fail, st.error().why};
  st->bind(1, h.recent_batches);
  if (auto r = st->step(); !r) return {"failures", S::fail, r.error().why};
  const auto n = st->column_int(0), failed = st->column_int(1);
  if (n == 0) return {"failures", S::ok, "no batch has finished yet"};
  const double rate = static_cast<double>(failed) / static_cast<double>(n);
  const auto s = rate >= h.failure_fail ? S::fail : rate >= h.failure_warn ? S::warn : S::ok;
  std::string reason = fmt::format("{} of the last {} batches failed ({:.0f}%)", failed, n, 100 * rate);
  if (s != S::ok) reason += "; their raw answers are in runs/, `knowthy extract --retry-failed` tries them again";
  return {"failures", s, reason};
}

HealthCheck hallucinations(store::Db& db, const store::Config::Health& h) {
  auto st = db.prepare(R"sql(
WITH recent AS (SELECT id, COALESCE(hallucinated_ids, 0) AS bad FROM batches WHERE status = 'done'
                ORDER BY finished_at DESC, id DESC LIMIT ?1)
SELECT (SELECT COALESCE(SUM(bad), 0) FROM recent),
       (SELECT COALESCE(SUM(json_array_length(evidence_tweet_ids)), 0) FROM candidates WHERE batch_id IN (SELECT id FROM recent)) +
       (SELECT COALESCE(SUM(json_array_length(evidence_tweet_ids)), 0) FROM examples WHERE batch_id IN (SELECT id FROM recent)),
       (SELECT COUNT(*) FROM recent))sql");
  if (!st) return {"evidence", S::fail, st.error().why};
  st->bind(1, h.recent_batches);
  if (auto r = st->step(); !r) return {"evidence", S::fail, r.error().why};
  const auto bad = st->column_int(0), kept = st->column_int(1), n = st->column_int(2);
  if (bad + kept == 0) return {"evidence", S::ok, n ? "the recent batches cite no tweets" : "no batch is done yet"};
  const double rate = static_cast<double>(bad) / static_cast<double>(bad + kept);
  const auto s = rate >= h.hallucination_fail ? S::fail : rate >= h.hallucination_warn ? S::warn : S::ok;
  std::string reason = fmt::format(
      "{} of {} evidence ids in the last {} done batches were not tweets of their batch "
      "({:.1f}%, dropped)",
      bad, bad + kept, n, 100 * rate);
  if (s != S::ok) reason += "; a stronger model or a lower batch_size helps";
  return {"evidence", s, reason};
}

HealthCheck flagged_pairs(store::Db& db, const store::Config::Health& h) {
  auto st = db.prepare("SELECT pairs, dpo_train + dpo_heldout FROM dataset_builds ORDER BY id DESC LIMIT 1");
  if (!st) return {"datasets", S::fail, st.error().why};
  auto row = st->step();
  if (!row) return {"datasets", S::fail, row.error().why};
  if (!*row) return {"datasets", S::ok, "no datasets built yet (`knowthy datasets`)"};
  const auto pairs = st->column_int(0), kept = st->column_int(1);
  if (pairs == 0) return {"datasets", S::ok, "no pairs yet"};
  const double share = static_cast<double>(pairs - kept) / static_cast<double>(pairs);
  const auto s = share > h.flagged_warn ? S::warn : S::ok;
  std::string reason =
      fmt::format("{} of {} DPO pairs flagged and kept out of training ({:.0f}%)", pairs - kept, pairs, 100 * share);
  if (s != S::ok) reason += "; see datasets/dpo.flagged.jsonl for why (meta.flags)";
  return {"datasets", s, reason};
}

HealthCheck model(const store::Config& cfg, const HealthOptions& o) {
  const auto r = o.probe ? o.probe(cfg.model) : llm::probe_backend(cfg.model);
  const auto s = r.level == llm::ProbeResult::Level::ok     ? S::ok
                 : r.level == llm::ProbeResult::Level::warn ? S::warn
                                                            : S::fail;
  return {"model", s, cfg.model.backend + ": " + r.reason};
}

HealthCheck stuck_candidate(store::Db& db, const store::Config::Health& h, std::int64_t now) {
  auto st = db.prepare(
      "SELECT name, state, updated_at FROM models WHERE state IN ('training','awaiting_eval') ORDER BY updated_at "
      "LIMIT 1");
  if (!st) return {"candidate", S::fail, st.error().why};
  auto row = st->step();
  if (!row) return {"candidate", S::fail, row.error().why};
  if (!*row) return {"candidate", S::ok, "no model candidate is training or awaiting evaluation"};
  const std::string name = st->column_text(0), state = st->column_text(1);
  const auto since = util::iso_to_unix(st->column_text(2)).value_or(now);
  const std::int64_t age = now - since;
  if (age > static_cast<std::int64_t>(h.stuck_hours) * 3600)
    return {
        "candidate", S::fail,
        fmt::format("{} has been {} for {} (over {} h): it blocks training; run `knowthy eval`, or look at "
                    "models/{}/",
                    name, state == "training" ? "training" : "awaiting evaluation", hours(age), h.stuck_hours, name)};
  return {"candidate", S::ok, fmt::format("{} is {} (for {})", name, state, hours(age))};
}

HealthCheck last_tick(store::Db& db, const store::Config::Health& h, std::int64_t now) {
  auto st =
      db.prepare("SELECT MAX(CASE WHEN status = 'ok' THEN finished_at END), COUNT(*) FROM runs WHERE command = 'tick'");
  if (!st) return {"tick", S::fail, st.error().why};
  if (auto r = st->step(); !r) return {"tick", S::fail, r.error().why};
  if (st->column_int(1) == 0) return {"tick", S::ok, "no scheduled tick has run yet (`knowthy schedule` sets it up)"};
  if (st->column_is_null(0)) return {"tick", S::warn, "no tick has succeeded yet; see `knowthy status`"};
  const auto last = util::iso_to_unix(st->column_text(0)).value_or(now);
  const std::int64_t age = now - last;
  if (age > static_cast<std::int64_t>(h.tick_warn_hours) * 3600)
    return {"tick", S::warn,
            fmt::format("the last successful tick was {} ago (over {} h): is the timer running?", hours(age),
                        h.tick_warn_hours)};
  return {"tick", S::ok, fmt::format("the last successful tick was {} ago", hours(age))};
}

HealthCheck disk(const store::Workspace& ws, const store::Config::Health& h) {
  struct statvfs v {};
  if (::statvfs(ws.dir().c_str(), &v) != 0) return {"disk", S::warn, "free space cannot be read"};
  const std::uint64_t mb = (static_cast<std::uint64_t>(v.f_bavail) * v.f_frsize) >> 20;
  const auto s = mb < static_cast<std::uint64_t>(h.disk_fail_mb)   ? S::fail
                 : mb < static_cast<std::uint64_t>(h.disk_warn_mb) ? S::warn
                                                                   : S::ok;
  return {"disk", s,
          fmt::format("{} MiB free in the workspace's filesystem{}", mb,
                      s == S::ok ? "" : "; free some space: batches, datasets and models need it")};
}

}  // namespace

Result<HealthReport> check_health(store::Workspace& ws, const store::Config& cfg, const HealthOptions& o) {
  HealthReport r;
  r.checked_at = util::unix_to_iso(o.now);
  store::Db& db = ws.db();
  r.checks.push_back(permissions(ws));
  r.checks.push_back(database(db));
  r.checks.push_back(consistency(ws, o.loop_may_run));
  r.checks.push_back(failure_rate(db, cfg.health));
  r.checks.push_back(hallucinations(db, cfg.health));
  r.checks.push_back(flagged_pairs(db, cfg.health));
  r.checks.push_back(model(cfg, o));
  r.checks.push_back(stuck_candidate(db, cfg.health, o.now));
  r.checks.push_back(last_tick(db, cfg.health, o.now));
  r.checks.push_back(disk(ws, cfg.health));
  return r;
}

Status write_health(const store::Workspace& ws, const HealthReport& r) {
  return util::write_file_atomic(ws.dir() / "health.json", r.to_json().dump(2) + "\n");
}

}  // namespace knowthy::pipeline
