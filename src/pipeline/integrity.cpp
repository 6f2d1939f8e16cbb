#include "pipeline/integrity.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "pipeline/artifacts.hpp"
#include "util/fs.hpp"

namespace knowthy::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

nlohmann::json IntegrityReport::to_json() const {
  return {{"ok", problems.empty()},
          {"problems", problems},
          {"batches_checked", batches_checked},
          {"tweets_in_batches", tweets_in_batches}};
}

namespace {

struct BatchRow {
  std::string status;
  std::int64_t tweet_count = 0, candidates = -1, examples = -1;
};

// A done batch's folder against its rows.
void check_done_dir(store::Db& db, const fs::path& dir, std::int64_t id, const BatchRow& b,
                    std::vector<std::string>& out) {
  const std::string name = batch_dir_name(id);
  std::error_code ec;
  for (const auto& f : batch_files())
    if (!fs::is_regular_file(dir / f, ec)) out.push_back(fmt::format("{}: {} is missing", name, f));
  auto text = util::read_file(dir / "batch.json");
  if (!text) return;
  auto j = json::parse(*text, nullptr, false);
  if (!j.is_object()) {
    out.push_back(name + ": batch.json does not parse");
    return;
  }
  if (j.value("batch_id", std::int64_t{-1}) != id) out.push_back(name + ": batch.json names another batch");
  if (j.value("status", "") != "done") out.push_back(name + ": batch.json is not a done batch's");
  std::set<std::string> in_db;
  auto st = db.prepare("SELECT id FROM tweets WHERE batch_id = ?1");
  if (st) {
    st->bind(1, id);
    (void)st->each_row([&] { in_db.insert(std::to_string(static_cast<std::uint64_t>(st->column_int(0)))); });
  }
  const json& ids = j.contains("tweet_ids") ? j["tweet_ids"] : json::array();
  if (!ids.is_array() || static_cast<std::int64_t>(ids.size()) != b.tweet_count)
    out.push_back(fmt::format("{}: batch.json lists {} tweets, the database {}", name, ids.is_array() ? ids.size() : 0,
                              b.tweet_count));
  for (const auto& t : ids)
    if (!t.is_string() || !in_db.contains(t.get<std::string>()))
      out.push_back(fmt::format("{}: tweet {} is not assigned to this batch in the database", name, t.dump()));
  auto cands = util::read_file(dir / "candidates.json");
  if (cands) {
    auto c = json::parse(*cands, nullptr, false);
    if (!c.is_array() || static_cast<std::int64_t>(c.size()) != b.candidates)
      out.push_back(
          fmt::format("{}: candidates.json does not hold the {} candidates the database has", name, b.candidates));
  }
  auto training = util::read_file(dir / "training.jsonl");
  if (training) {
    std::int64_t lines = 0;
    for (char ch : *training) lines += ch == '\n';
    if (lines != b.examples)
      out.push_back(fmt::format("{}: training.jsonl has {} examples, the database {}", name, lines, b.examples));
  }
}

}  // namespace

Result<IntegrityReport> check_integrity(store::Workspace& ws, const IntegrityOptions& options) {
  IntegrityReport rep;
  auto& out = rep.problems;
  store::Db& db = ws.db();
  if (options.sqlite_check) {
    auto st = db.prepare("PRAGMA integrity_check");
    if (!st) return std::unexpected(st.error());
    auto s = st->each_row([&] {
      if (st->column_text(0) != "ok") out.push_back("sqlite integrity_check: " + st->column_text(0));
    });
    if (!s) return std::unexpected(s.error());
  }
  {
    auto st = db.prepare("PRAGMA foreign_key_check");
    if (!st) return std::unexpected(st.error());
    auto s = st->each_row([&] {
      out.push_back(fmt::format("foreign key broken: {} row {} -> {}", st->column_text(0), st->column_int(1),
                                st->column_text(2)));
    });
    if (!s) return std::unexpected(s.error());
  }
  std::map<std::int64_t, BatchRow> batches;
  {
    auto st = db.prepare(R"sql(
SELECT b.id, b.status, b.tweet_count, COALESCE(b.candidates, -1), COALESCE(b.examples, -1),
       (SELECT COUNT(*) FROM tweets t WHERE t.batch_id = b.id),
       (SELECT COUNT(*) FROM candidates c WHERE c.batch_id = b.id),
       (SELECT COUNT(*) FROM examples x WHERE x.batch_id = b.id)
FROM batches b ORDER BY b.id)sql");
    if (!st) return std::unexpected(st.error());
    auto s = st->each_row([&] {
      const std::int64_t id = st->column_int(0);
      BatchRow b{st->column_text(1), st->column_int(2), st->column_int(3), st->column_int(4)};
      const std::int64_t assigned = st->column_int(5), cand_rows = st->column_int(6), ex_rows = st->column_int(7);
      const std::string name = batch_dir_name(id);
      rep.tweets_in_batches += assigned;
      if (b.status == "running" && !options.loop_may_run)
        out.push_back(name + ": marked running, but no run is in progress");
      if (assigned < b.tweet_count || assigned == 0)
        out.push_back(fmt::format("{}: {} tweets assigned, {} expected", name, assigned, b.tweet_count));
      if (b.status == "done" && (cand_rows != b.candidates || ex_rows != b.examples))
        out.push_back(fmt::format("{}: {} candidate and {} example rows, {} and {} recorded", name, cand_rows, ex_rows,
                                  b.candidates, b.examples));
      if (b.status != "done" && (cand_rows || ex_rows))
        out.push_back(name + ": has candidates or examples but is not done");
      batches.emplace(id, std::move(b));
    });
    if (!s) return std::unexpected(s.error());
  }
  rep.batches_checked = static_cast<std::int64_t>(batches.size());

  const fs::path runs = ws.dir() / "runs";
  std::error_code ec;
  std::set<std::int64_t> dirs;
  if (fs::exists(runs, ec)) {
    for (const auto& e : fs::directory_iterator(runs, ec)) {
      const std::string name = e.path().filename().string();
      const std::int64_t id = batch_id_of(name);
      auto it = batches.find(id);
      const bool in_flight =
          options.loop_may_run && (name.starts_with(".") || (it != batches.end() && it->second.status == "running"));
      if (in_flight) {
        continue;
      } else if (id < 0 || !e.is_directory(ec)) {
        out.push_back("runs/" + name + ": not a batch folder (a leftover)");
      } else if (it == batches.end() || (it->second.status != "done" && it->second.status != "failed")) {
        out.push_back("runs/" + name + ": folder of a batch that is not done or failed");
      } else {
        dirs.insert(id);
      }
    }
  }
  for (const auto& [id, b] : batches) {
    const fs::path dir = runs / batch_dir_name(id);
    if ((b.status == "done" || b.status == "failed") && !dirs.contains(id)) {
      out.push_back(batch_dir_name(id) + ": " + b.status + " but its folder is missing");
      continue;
    }
    if (b.status == "done") check_done_dir(db, dir, id, b, out);
    if (b.status == "failed" && !fs::is_regular_file(dir / "batch.json", ec))
      out.push_back(batch_dir_name(id) + ": failed but batch.json is missing");
  }
  return rep;
}

}  // namespace knowthy::pipeline
