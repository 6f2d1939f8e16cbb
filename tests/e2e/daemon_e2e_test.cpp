// `knowthy daemon` through the binary: it ticks at once on a workspace that never ticked, logs JSON
// lines (rotated by size) that name batches and never quote a tweet, reloads on SIGHUP (keeping
// the old configuration when the new one is invalid), and on SIGTERM lets the batch in flight
// commit, or abandons a model call that outlives [schedule] stop_grace_s, then exits 0 and frees
// the lock; `knowthy tick` stops the same way.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "store/db.hpp"
#include "support/support.hpp"

namespace knowthy {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A model that quotes the first tweet of its batch in its notes and its claim (so the batches'
// files hold tweet text, and the log must not), after sleeping KT_SLEEP seconds.
const char* k_quoting_answer_py = R"(import sys, re, json, os, time
text = sys.stdin.read()
time.sleep(float(os.environ.get("KT_SLEEP", "0")))
tweets = re.findall(r'^\[(\d+)\][^\S\n]*(.*)$', text, re.M)
ids = [t[0] for t in tweets]
quote = tweets[0][1][:200] if tweets else "nothing"
print(json.dumps({"notes_markdown": "They wrote: " + quote,
  "knowledge_candidates": [{"category": "habit", "claim": "Says " + quote, "evidence_tweet_ids": ids[:2], "confidence": 0.6}],
  "training_examples": [{"prompt": "p", "response": quote, "evidence_tweet_ids": ids[:1]}],
  "rubric_scores": {"grounding": 3, "specificity": 3, "source_distinction": 3, "coverage": 3}}))
)";

class DaemonE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ws = (m_dir / "ws").string();
    ASSERT_EQ(test::run_knowthy({"sample-archive", (m_dir / "a.zip").string(), "--tweets", "60"}).exit_code, 0);
    test::write_text(m_dir / "answer.py", k_quoting_answer_py);
    ASSERT_EQ(kt({"init"}).exit_code, 0);
    configure(0, "");
    ASSERT_EQ(kt({"ingest", (m_dir / "a.zip").string()}).exit_code, 0);
  }
  // A yearly schedule: only the start-up tick runs during a test.
  void configure(double sleep_s, const std::string& extra) {
    test::write_text(fs::path(m_ws) / "knowthy.toml",
                     "[extract]\nbatch_size = 10\nbatches_per_tick = 100\nretry_backoff_ms = 10\n[schedule]\ncron = "
                     "\"0 0 1 1 *\"\n" +
                         extra + "\n[model]\nbackend = \"command\"\ncommand = \"env KT_SLEEP=" +
                         std::to_string(sleep_s) + " python3 '" + (m_dir / "answer.py").string() + "'\"\n");
  }
  test::RunResult kt(std::vector<std::string> args) {
    args.insert(args.begin(), {"--workspace", m_ws});
    return test::run_knowthy(args);
  }
  int spawn(const std::string& command) { return test::spawn_knowthy({"--workspace", m_ws, command}); }
  fs::path log_path() const { return fs::path(m_ws) / "logs" / "daemon.jsonl"; }
  // Every line of the current log and the rotated ones, oldest first; each must parse.
  std::vector<json> events() const {
    std::vector<json> out;
    for (int i = 10; i >= 0; --i) {
      const fs::path p = i == 0 ? log_path() : fs::path(log_path().string() + "." + std::to_string(i));
      std::ifstream f(p);
      for (std::string line; std::getline(f, line);) {
        auto j = json::parse(line, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << p << ": " << line;
        if (!j.is_discarded()) out.push_back(std::move(j));
      }
    }
    return out;
  }
  // Waits (up to `limit`) until an event matches.
  bool wait_for(const std::function<bool(const json&)>& pred, std::chrono::seconds limit = 60s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      for (const auto& e : events())
        if (pred(e)) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  static auto is(const std::string& event) {
    return [event](const json& e) { return e.value("event", "") == event; };
  }
  std::int64_t count(const std::string& sql) {
    auto db = store::Db::open(fs::path(m_ws) / "knowthy.db");
    auto v = db->query_ints(sql);
    return v && !v->empty() ? v->front() : -1;
  }

  // Eligible tweets not in a done or failed batch.
  std::int64_t left() {
    return count(
        "SELECT COUNT(*) FROM tweets t LEFT JOIN batches b ON b.id = t.batch_id WHERE t.deleted = 0 AND t.kind <> "
        "'retweet' AND (b.status IS NULL OR b.status NOT IN ('done', 'failed'))");
  }

  test::TempDir m_dir;
  std::string m_ws;
};

TEST_F(DaemonE2E, TicksAtOnceLogsBatchIdsButNoTweetTextReloadsOnSighupAndStopsOnSigterm) {
  configure(0, "log_max_kb = 1\nlog_files = 10\n");  // tiny logs, so that they rotate
  const int pid = spawn("daemon");
  ASSERT_TRUE(wait_for(is("tick"))) << "no tick was logged";
  // An invalid configuration is refused and the old one kept; a valid one is taken.
  const std::string good = test::read_text(fs::path(m_ws) / "knowthy.toml");
  std::string bad = good;
  bad.replace(bad.find("0 0 1 1 *"), 9, "61 * * * *");
  test::write_text(fs::path(m_ws) / "knowthy.toml", bad);
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(wait_for([](const json& e) { return e.value("event", "") == "reload" && e["status"] == "failed"; }));
  test::write_text(fs::path(m_ws) / "knowthy.toml", good);
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(wait_for([](const json& e) { return e.value("event", "") == "reload" && e["status"] == "ok"; }));
  ::kill(pid, SIGTERM);
  EXPECT_EQ(test::wait_exit(pid), 0);

  const auto ev = events();
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back()["event"], "stop");
  EXPECT_EQ(ev.back()["signal"], SIGTERM);
  EXPECT_EQ(ev.back()["ticks"], 1);
  int batches = 0;
  for (const auto& e : ev) {
    if (e["event"] == "batch") {
      ++batches;
      EXPECT_EQ(e["status"], "done");
    }
    if (e["event"] == "tick") {
      EXPECT_EQ(e["status"], "ok") << e.dump();
    }
    if (e["event"] == "reload" && e["status"] == "failed") {
      EXPECT_NE(e["error"].get<std::string>().find("[schedule] cron"), std::string::npos) << e.dump();
      EXPECT_EQ(e["kept"], "0 0 1 1 *");
    }
  }
  EXPECT_EQ(batches, count("SELECT COUNT(*) FROM batches WHERE status = 'done'"));
  EXPECT_GT(batches, 0);
  // Rotated by size, keeping ten old files at most.
  EXPECT_TRUE(fs::exists(log_path().string() + ".1"));
  EXPECT_FALSE(fs::exists(log_path().string() + ".11"));
  for (const auto& p : fs::directory_iterator(log_path().parent_path()))
    EXPECT_LE(fs::file_size(p.path()), 1024u + 600u) << p.path();  // one line may pass the limit

  // The model quoted tweets into the batches' files; the log names ids only.
  std::string all_logs;
  for (const auto& p : fs::directory_iterator(log_path().parent_path())) all_logs += test::read_text(p.path());
  auto db = store::Db::open(fs::path(m_ws) / "knowthy.db");
  std::string all_runs;
  for (const auto& p : fs::recursive_directory_iterator(fs::path(m_ws) / "runs"))
    if (p.is_regular_file()) all_runs += test::read_text(p.path());
  auto st = db->prepare("SELECT text FROM tweets WHERE batch_id IS NOT NULL");
  int checked = 0, quoted = 0;
  while (*st->step()) {
    const std::string text = st->column_text(0);
    if (text.size() < 12) continue;
    const std::string head = text.substr(0, 40);
    EXPECT_EQ(all_logs.find(head), std::string::npos) << "the log quotes a tweet: " << text;
    quoted += all_runs.find(head) != std::string::npos;
    ++checked;
  }
  EXPECT_GT(checked, 20);
  EXPECT_GT(quoted, 0) << "the model was meant to quote tweets into the batches' files";
  // The lock was released: a tick runs now.
  EXPECT_EQ(kt({"tick"}).exit_code, 0);
}

TEST_F(DaemonE2E, SigtermLetsTheBatchInFlightCommitThenExitsZero) {
  configure(0.8, "stop_grace_s = 30\n");  // each pass takes 0.8 s: a batch 1.6 s
  const int pid = spawn("daemon");
  ASSERT_TRUE(wait_for(is("batch")));  // the first batch committed; the second is in flight
  const auto t0 = std::chrono::steady_clock::now();
  ::kill(pid, SIGTERM);
  EXPECT_EQ(test::wait_exit(pid), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  const auto ev = events();
  int logged = 0;
  for (const auto& e : ev) logged += e["event"] == "batch" && e["status"] == "done";
  const auto done = count("SELECT COUNT(*) FROM batches WHERE status = 'done'");
  EXPECT_EQ(logged, done);
  EXPECT_GE(done, 2) << "the batch in flight was not finished";
  EXPECT_GT(left(), 0) << "it did not stop early";
  EXPECT_EQ(count("SELECT COUNT(*) FROM batches WHERE status = 'running'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM runs WHERE command = 'tick' AND status = 'stopped'"), 1);
  for (const auto& e : ev)
    if (e["event"] == "tick") {
      EXPECT_EQ(e["status"], "stopped");
      for (const auto& s : e["steps"])
        if (s["step"] != "extract") {
          EXPECT_EQ(s["status"], "skipped") << s.dump();
        }
    }
  EXPECT_EQ(kt({"verify"}).exit_code, 0);
}

TEST_F(DaemonE2E, AModelCallThatOutlivesTheGraceIsAbandonedAndTheNextRunDoesItAgain) {
  configure(30, "stop_grace_s = 1\n");
  const int pid = spawn("daemon");
  ASSERT_TRUE(wait_for(is("tick_start")));
  std::this_thread::sleep_for(500ms);  // the first batch's model call is under way
  const auto t0 = std::chrono::steady_clock::now();
  ::kill(pid, SIGTERM);
  EXPECT_EQ(test::wait_exit(pid), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  EXPECT_TRUE(wait_for(is("abandoned"), 1s));
  EXPECT_EQ(count("SELECT COUNT(*) FROM batches WHERE status = 'done'"), 0);
  // The next run recovers the batch the daemon had claimed, and everything gets done once.
  configure(0, "");
  auto r = kt({"run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("recovered"), std::string::npos) << r.out;
  EXPECT_EQ(left(), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM runs WHERE status = 'running' AND command <> 'tick'"), 0);
  // The daemon's tick row is closed by the next tick, as interrupted.
  EXPECT_EQ(kt({"tick"}).exit_code, 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM runs WHERE status = 'running'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM runs WHERE command = 'tick' AND message LIKE 'interrupted%'"), 1);
  EXPECT_EQ(kt({"verify"}).exit_code, 0);
}

TEST_F(DaemonE2E, TickStopsOnSigtermAfterTheBatchInFlight) {
  configure(0.8, "");
  test::RunResult r;
  const int pid = test::spawn_knowthy_to({"--workspace", m_ws, "tick", "--json"}, m_dir / "out", m_dir / "err");
  // Wait for the first batch to commit, then stop the tick.
  const auto end = std::chrono::steady_clock::now() + 60s;
  while (count("SELECT COUNT(*) FROM batches WHERE status = 'done'") < 1 && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(50ms);
  ::kill(pid, SIGTERM);
  r.exit_code = test::wait_exit(pid);
  r.out = test::read_text(m_dir / "out");
  r.err = test::read_text(m_dir / "err");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("stopped by signal 15"), std::string::npos) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["status"], "stopped");
  EXPECT_EQ(count("SELECT COUNT(*) FROM batches WHERE status = 'running'"), 0);
  EXPECT_GT(left(), 0);
  EXPECT_EQ(kt({"verify"}).exit_code, 0);
}

}  // namespace
}  // namespace knowthy
