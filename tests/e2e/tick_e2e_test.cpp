// `knowthy tick` end to end through the binary, with a scripted command backend: every step runs
// and is recorded; a failing step does not stop the later ones and makes the exit code 1; the
// whole loop (train, eval, promote) moves in one tick; promote never runs on a failed eval; the
// weekly report is written once; a tick while the workspace is locked exits 75.
#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "store/db.hpp"
#include "store/lock.hpp"
#include "support/support.hpp"
#include "util/text.hpp"

namespace knowthy {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class TickE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ws = (m_dir / "ws").string();
    ASSERT_EQ(test::run_knowthy({"sample-archive", (m_dir / "a.zip").string(), "--tweets", "60"}).exit_code, 0);
    test::write_model(m_dir / "base.gguf");
    test::write_text(m_dir / "answer.py", test::k_scripted_answer_py);
    ASSERT_EQ(kt({"init"}).exit_code, 0);
    configure("");
    ASSERT_EQ(kt({"ingest", (m_dir / "a.zip").string()}).exit_code, 0);
  }
  void configure(const std::string& extra, const std::string& command = "") {
    test::write_text(fs::path(m_ws) / "knowthy.toml",
                     "[extract]\nbatch_size = 10\nbatches_per_tick = 2\n" + extra +
                         "\n[model]\nbackend = \"command\"\n" + "command = \"" +
                         (command.empty() ? "python3 '" + (m_dir / "answer.py").string() + "'" : command) +
                         "\"\npath = \"" + (m_dir / "base.gguf").string() + "\"\n");
  }
  test::RunResult kt(std::vector<std::string> args) {
    args.insert(args.begin(), {"--workspace", m_ws});
    return test::run_knowthy(args);
  }
  // The tick's steps by name: status and detail.
  std::map<std::string, std::pair<std::string, std::string>> tick(int exit_code = 0) {
    auto r = kt({"tick", "--json"});
    EXPECT_EQ(r.exit_code, exit_code) << r.out << r.err;
    std::map<std::string, std::pair<std::string, std::string>> out;
    const json j = json::parse(r.out, nullptr, false);
    if (!j.is_object()) return out;
    for (const auto& s : j["steps"]) out[s["step"]] = {s["status"], s["detail"]};
    return out;
  }
  test::TempDir m_dir;
  std::string m_ws;
};

TEST_F(TickE2E, EveryStepRunsInOrderAndTheTickIsRecorded) {
  auto r = kt({"tick"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // One line per step, in the loop's order.
  size_t at = 0;
  for (const char* step : {"extract", "consolidate", "datasets", "health", "train", "eval", "promote", "insights"}) {
    const auto p = r.out.find(std::string("\n") + step + " ", at == 0 ? 0 : at);
    const auto first = r.out.rfind(std::string(step) + " ", 0) == 0 ? 0 : p;
    ASSERT_NE(first, std::string::npos) << step << "\n" << r.out;
    EXPECT_GE(first, at) << step;
    at = first;
  }
  EXPECT_NE(r.out.find("extract      ok: 2 batch(es) done (20 tweets)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("train        skipped: gate closed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("eval         skipped: no candidate is awaiting evaluation"), std::string::npos) << r.out;

  auto db = store::Db::open(fs::path(m_ws) / "knowthy.db");
  ASSERT_TRUE(db);
  EXPECT_EQ(*db->query_int("SELECT COUNT(*) FROM runs WHERE command = 'tick' AND status = 'ok'"), 1);
  EXPECT_EQ(*db->query_int("SELECT COUNT(*) FROM run_steps"), 8);
  // The health step checked on the real clock: health.json says when, and the tick's age is sane.
  const json h1 = json::parse(test::read_text(fs::path(m_ws) / "health.json"));
  const auto checked = util::iso_to_unix(h1["checked_at"].get<std::string>());
  ASSERT_TRUE(checked);
  EXPECT_LT(std::llabs(*checked - static_cast<long long>(std::time(nullptr))), 3600) << h1.dump();
  // The next ticks read the rest, and health sees a successful tick.
  auto steps = tick();
  EXPECT_EQ(steps["extract"].first, "ok");
  EXPECT_EQ(steps["insights"].first, "skipped");  // the week's report was written by the first tick
  auto health = json::parse(kt({"health", "--json"}).out);
  for (const auto& c : health["checks"]) {
    if (c["name"] == "tick") {
      EXPECT_EQ(c["status"], "ok") << c.dump();
      EXPECT_EQ(c["reason"].get<std::string>().find("-"), std::string::npos) << c.dump();  // no negative age
    }
  }
  int ticks = 2;
  while (steps["extract"].first == "ok" && ticks < 10) {
    steps = tick();
    ++ticks;
  }
  EXPECT_EQ(steps["extract"].first, "skipped") << steps["extract"].second;
  EXPECT_EQ(*db->query_int("SELECT COUNT(*) FROM runs WHERE command = 'tick' AND status = 'ok'"), ticks);
}

TEST_F(TickE2E, AFailingStepDoesNotStopTheOthersAndTheExitCodeSaysSo) {
  // A model that answers nonsense: every batch fails (kept, with its raw answers), and two failures
  // in a row stop the run: the extract step fails.
  configure("stop_after_failures = 2\n", "echo not json");
  auto steps = tick(1);
  EXPECT_EQ(steps["extract"].first, "failed") << steps["extract"].second;
  for (const char* later : {"consolidate", "datasets", "health", "train", "eval", "promote", "insights"})
    EXPECT_TRUE(steps.contains(later)) << later;
  EXPECT_NE(steps["datasets"].first, "failed");
  auto db = store::Db::open(fs::path(m_ws) / "knowthy.db");
  EXPECT_EQ(*db->query_int("SELECT COUNT(*) FROM runs WHERE command = 'tick' AND status = 'failed'"), 1);
  // status shows the last tick and what failed.
  const json status = json::parse(kt({"status", "--json"}).out);
  EXPECT_EQ(status["last_tick"]["status"], "failed");
  EXPECT_NE(status["last_tick"]["message"].get<std::string>().find("extract: "), std::string::npos) << status;
}

TEST_F(TickE2E, OneTickTrainsEvaluatesAndPromotesAndNeverPromotesOnAFailedEval) {
  const std::string trainer = "[train]\ntrainer = \"command\"\nmin_new_batches = 1\ncommand = [\"cp\", \"" +
                              (m_dir / "base.gguf").string() + "\", \"{output_dir}/model.gguf\"]\n";
  // An evaluation that cannot give a verdict: the candidate fails and promote is skipped.
  configure(trainer + "[eval]\ncommand = [\"/bin/sh\", \"-c\", \"echo maybe\"]\n");
  auto steps = tick(1);
  EXPECT_EQ(steps["train"], (std::pair<std::string, std::string>{"ok", "cand_0001: awaiting_eval"}));
  EXPECT_EQ(steps["eval"].first, "failed") << steps["eval"].second;
  EXPECT_EQ(steps["promote"], (std::pair<std::string, std::string>{"skipped", "the eval step failed"}));

  // An evaluation that passes: the same tick promotes.
  configure(trainer + "[eval]\ncommand = [\"/bin/sh\", \"-c\", \"echo '{\\\"pass\\\": true}'\"]\n");
  steps = tick();
  EXPECT_EQ(steps["train"].second, "cand_0002: awaiting_eval");
  EXPECT_EQ(steps["eval"], (std::pair<std::string, std::string>{"ok", "cand_0002: passed"}));
  EXPECT_EQ(steps["promote"].first, "ok") << steps["promote"].second;
  EXPECT_EQ(json::parse(kt({"models", "--json"}).out)["active"]["name"], "cand_0002");

  // With automatic promotion off, a passed candidate waits for `knowthy promote`.
  configure(trainer +
            "[eval]\ncommand = [\"/bin/sh\", \"-c\", \"echo '{\\\"pass\\\": true}'\"]\n[promote]\nautomatic = false\n");
  steps = tick();
  EXPECT_EQ(steps["eval"].second, "cand_0003: passed");
  EXPECT_EQ(steps["promote"].first, "skipped");
  EXPECT_EQ(json::parse(kt({"models", "--json"}).out)["active"]["name"], "cand_0002");
}

TEST_F(TickE2E, ATickWhileTheWorkspaceIsLockedExits75AndDoesNothing) {
  auto lock = store::WorkspaceLock::acquire(m_ws, "test");
  ASSERT_TRUE(lock);
  auto r = kt({"tick"});
  EXPECT_EQ(r.exit_code, 75) << r.out << r.err;
  auto db = store::Db::open(fs::path(m_ws) / "knowthy.db");
  EXPECT_EQ(*db->query_int("SELECT COUNT(*) FROM runs WHERE command = 'tick'"), 0);
}

}  // namespace
}  // namespace knowthy
