#include "store/runs.hpp"

#include "util/text.hpp"

namespace knowthy::store {

Status close_interrupted_runs(Db& db, bool include_ticks) {
  auto st = db.prepare(
      "UPDATE runs SET status = 'stopped', finished_at = ?1, "
      "message = 'interrupted: the process ended before the run finished' "
      "WHERE status = 'running' AND (?2 OR command <> 'tick')");
  if (!st) return std::unexpected(st.error());
  st->bind(1, util::now_iso()).bind(2, include_ticks ? 1 : 0);
  return st->exec();
}

Result<std::int64_t> begin_run(Db& db, const std::string& command) {
  auto st = db.prepare("INSERT INTO runs (command, started_at, status) VALUES (?1, ?2, 'running') RETURNING id");
  if (!st) return std::unexpected(st.error());
  st->bind(1, command).bind(2, util::now_iso());
  auto r = st->step();
  if (!r) return std::unexpected(r.error());
  return st->column_int(0);
}

Status finish_run(Db& db, std::int64_t id, const std::string& status, const std::string& message) {
  auto st = db.prepare("UPDATE runs SET finished_at = ?2, status = ?3, message = ?4 WHERE id = ?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, id).bind(2, util::now_iso()).bind(3, status).bind(4, message);
  return st->exec();
}

Result<std::vector<RunRow>> recent_runs(Db& db, const std::string& command, int limit) {
  auto st = db.prepare(
      "SELECT id, command, started_at, COALESCE(finished_at, ''), status, COALESCE(message, '') FROM runs "
      "WHERE command = ?1 ORDER BY id DESC LIMIT ?2");
  if (!st) return std::unexpected(st.error());
  st->bind(1, command).bind(2, static_cast<std::int64_t>(limit));
  std::vector<RunRow> out;
  for (;;) {
    auto r = st->step();
    if (!r) return std::unexpected(r.error());
    if (!*r) break;
    out.push_back({st->column_int(0), st->column_text(1), st->column_text(2), st->column_text(3), st->column_text(4),
                   st->column_text(5)});
  }
  return out;
}

Result<std::optional<RunRow>> last_run(Db& db, const std::string& command) {
  auto rows = recent_runs(db, command, 1);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<RunRow>{};
  return std::optional<RunRow>{std::move(rows->front())};
}

Status record_step(Db& db, std::int64_t run_id, int index, const RunStep& s) {
  auto st = db.prepare(
      "INSERT INTO run_steps (run_id, idx, step, status, detail, started_at, seconds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
      "?7)");
  if (!st) return std::unexpected(st.error());
  st->bind(1, run_id).bind(2, index).bind(3, s.step).bind(4, s.status).bind(5, s.detail).bind(6, s.started_at);
  st->bind(7, s.seconds);
  return st->exec();
}

Result<std::vector<RunStep>> run_steps(Db& db, std::int64_t run_id) {
  auto st = db.prepare(
      "SELECT step, status, COALESCE(detail, ''), COALESCE(started_at, ''), COALESCE(seconds, 0) FROM run_steps WHERE "
      "run_id = ?1 ORDER BY idx");
  if (!st) return std::unexpected(st.error());
  st->bind(1, run_id);
  std::vector<RunStep> out;
  for (;;) {
    auto r = st->step();
    if (!r) return std::unexpected(r.error());
    if (!*r) break;
    out.push_back(
        {st->column_text(0), st->column_text(1), st->column_text(2), st->column_text(3), st->column_double(4)});
  }
  return out;
}

}  // namespace knowthy::store
