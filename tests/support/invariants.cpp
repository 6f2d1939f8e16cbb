#include "support/invariants.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "pipeline/artifacts.hpp"
#include "store/db.hpp"
#include "support/support.hpp"

namespace knowthy::test {

using nlohmann::json;
namespace fs = std::filesystem;

int expect_exactly_once(const fs::path& ws) {
  auto db = store::Db::open(ws / "knowthy.db");
  EXPECT_TRUE(db);
  if (!db) return 0;
  std::set<std::string> eligible;
  std::map<std::int64_t, std::set<std::string>> by_batch;
  auto st = db->prepare(
      "SELECT t.id, t.batch_id, b.status, t.deleted, t.kind FROM tweets t LEFT JOIN batches b ON b.id = t.batch_id");
  while (*st->step()) {
    const std::string id = std::to_string(static_cast<std::uint64_t>(st->column_int(0)));
    const bool wanted = st->column_int(3) == 0 && st->column_text(4) != "retweet";
    if (!wanted) {
      EXPECT_TRUE(st->column_is_null(1)) << "tweet " << id << " should be in no batch";
      continue;
    }
    eligible.insert(id);
    EXPECT_FALSE(st->column_is_null(1)) << "tweet " << id << " is in no batch";
    const std::string status = st->column_text(2);
    EXPECT_TRUE(status == "done" || status == "failed") << "tweet " << id << ": batch " << status;
    if (status == "done") by_batch[st->column_int(1)].insert(id);
  }
  std::set<std::string> seen;
  for (const auto& [b, ids] : by_batch) {
    const std::string name = pipeline::batch_dir_name(b);
    auto j = json::parse(read_text(ws / "runs" / name / "batch.json"), nullptr, false);
    EXPECT_TRUE(j.is_object()) << name << "/batch.json does not parse";
    if (!j.is_object()) continue;
    std::set<std::string> listed;
    for (const auto& t : j["tweet_ids"]) {
      EXPECT_TRUE(seen.insert(t.get<std::string>()).second) << t << " is in two batches";
      listed.insert(t.get<std::string>());
    }
    EXPECT_EQ(listed, ids) << name;
    for (const auto& f : pipeline::batch_files()) EXPECT_TRUE(fs::exists(ws / "runs" / name / f)) << name << "/" << f;
  }
  auto v = run_knowthy({"--workspace", ws.string(), "verify", "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_GT(eligible.size(), 0u);
  return static_cast<int>(by_batch.size());
}

namespace {

std::int64_t one_int(store::Db& db, const std::string& sql) {
  auto v = db.query_ints(sql);
  EXPECT_TRUE(v) << sql;
  return v && !v->empty() ? v->front() : -1;
}

bool temp_name(const std::string& n) {
  for (const char* marker : {".tmp", ".link.", ".partial"})
    if (n.find(marker) != std::string::npos) return true;
  return false;
}

}  // namespace

Soundness expect_sound(const fs::path& ws) {
  Soundness out;
  auto db = store::Db::open(ws / "knowthy.db");
  EXPECT_TRUE(db);
  if (!db) return out;
  {
    auto st = db->prepare("PRAGMA integrity_check");
    EXPECT_TRUE(*st->step());
    EXPECT_EQ(st->column_text(0), "ok");
  }
  {
    auto st = db->prepare("PRAGMA foreign_key_check");
    EXPECT_FALSE(*st->step()) << "a row points at nothing: table " << st->column_text(0);
  }
  EXPECT_EQ(one_int(*db, "SELECT COUNT(*) FROM batches WHERE status = 'running'"), 0);
  EXPECT_EQ(one_int(*db, "SELECT COUNT(*) FROM runs WHERE status = 'running'"), 0);
  for (const auto& e : fs::recursive_directory_iterator(ws))
    EXPECT_FALSE(temp_name(e.path().filename().string())) << "left behind: " << e.path();

  // The candidates.
  auto models = run_knowthy({"--workspace", ws.string(), "models", "--json"});
  EXPECT_EQ(models.exit_code, 0) << models.err;
  const json m = json::parse(models.out, nullptr, false);
  EXPECT_TRUE(m.is_object()) << models.out;
  if (!m.is_object()) return out;
  const std::set<std::string> trained{"awaiting_eval", "passed", "failed", "promoted", "rolled_back"};
  const std::set<std::string> valid{"ready",  "train_failed", "awaiting_eval", "passed",
                                    "failed", "promoted",     "rolled_back"};  // not `training`: nothing is
  for (const auto& c : m["candidates"]) {
    ++out.candidates;
    const std::string name = c["name"], state = c["state"];
    EXPECT_TRUE(valid.count(state)) << name << " is " << state;
    const fs::path dir = ws / "models" / name;
    const json manifest = json::parse(read_text(dir / "manifest.json"), nullptr, false);
    EXPECT_TRUE(manifest.is_object()) << name << "/manifest.json";
    if (trained.count(state)) {
      int ggufs = 0;
      for (const auto& f : fs::directory_iterator(dir / "output")) ggufs += f.path().extension() == ".gguf";
      EXPECT_EQ(ggufs, 1) << name << " is " << state << " without its model";
    }
  }
  // The active model: the table says which, active.json agrees, and it is promoted.
  out.promotions = static_cast<int>(one_int(*db, "SELECT COUNT(*) FROM promotions"));
  const std::string active = m["active"]["name"];
  if (active != "base") {
    bool promoted = false;
    for (const auto& c : m["candidates"]) promoted |= c["name"] == active && c["state"] == "promoted";
    EXPECT_TRUE(promoted) << active << " is active but not promoted";
  }
  if (fs::exists(ws / "models" / "active.json")) {
    const json a = json::parse(read_text(ws / "models" / "active.json"), nullptr, false);
    EXPECT_TRUE(a.is_object());
    if (a.is_object()) {
      EXPECT_EQ(a["name"], active) << "models/active.json disagrees with the promotions table";
    }
  } else {
    EXPECT_EQ(out.promotions, 0) << "promoted, but no models/active.json";
  }
  return out;
}

}  // namespace knowthy::test
