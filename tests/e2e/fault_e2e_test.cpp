// The fault-injection suite (TESTING.md): the loop is broken on purpose and must lose nothing and
// do nothing twice.
// - 25 kill -9s at seeded random moments across ticks on the embedded sample model (extract,
//   train, eval and promote all run), each followed by a restart; then the invariants.
// - A llama-server killed and restarted during `run`: its batches are retried, none is lost.
// - A full disk (a file size limit): the write fails cleanly, nothing unwritten is done, and the
//   next run completes.
// - A streak of corrupt answers: those batches fail and are kept, the loop goes on, health warns.
// - Two ticks started together: one runs, the other exits 75.
// The clock's faults (jumps, DST, sleeping through Monday) are in tests/schedule/daemon_test.
// KNOWTHY_FAULT_SEED picks the kill moments (default 1).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "pipeline/artifacts.hpp"
#include "store/db.hpp"
#include "support/invariants.hpp"
#include "support/support.hpp"

namespace knowthy {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Small answers that suit the random sample model (it fills every string to its bound).
const char* k_tiny_bounds =
    "notes_max_chars = 60\nmax_claims = 2\nclaim_max_chars = 50\nmax_evidence = 2\nmax_examples = 1\n"
    "example_prompt_max_chars = 40\nexample_response_max_chars = 60\n";

class FaultE2E : public ::testing::Test {
 protected:
  void SetUp() override { m_ws = m_dir / "ws"; }
  void prepare(int tweets, const std::string& config) {
    ASSERT_EQ(
        test::run_knowthy({"sample-archive", (m_dir / "a.zip").string(), "--tweets", std::to_string(tweets)}).exit_code,
        0);
    ASSERT_EQ(kt({"init"}).exit_code, 0);
    test::write_text(m_ws / "knowthy.toml", config);
    auto g = kt({"ingest", (m_dir / "a.zip").string()});
    ASSERT_EQ(g.exit_code, 0) << g.err;
  }
  test::RunResult kt(std::vector<std::string> args) {
    args.insert(args.begin(), {"--workspace", m_ws.string()});
    return test::run_knowthy(args);
  }
  int spawn(std::vector<std::string> args) {
    args.insert(args.begin(), {"--workspace", m_ws.string()});
    return test::spawn_knowthy(args);
  }
  std::int64_t count(const std::string& sql) {
    auto db = store::Db::open(m_ws / "knowthy.db");
    auto v = db->query_ints(sql);
    return v && !v->empty() ? v->front() : -1;
  }
  std::string integrity() {
    auto db = store::Db::open(m_ws / "knowthy.db");
    auto st = db->prepare("PRAGMA integrity_check");
    return *st->step() ? st->column_text(0) : "no answer";
  }
  // A command backend in python: `script` reads the conversation on stdin.
  std::string command_model(const std::string& script, const std::string& name = "answer.py") {
    test::write_text(m_dir / name, script);
    return "[model]\nbackend = \"command\"\ncommand = \"python3 '" + (m_dir / name).string() + "'\"\n";
  }

  test::TempDir m_dir;
  fs::path m_ws;
};

int fault_seed() {
  const char* s = std::getenv("KNOWTHY_FAULT_SEED");
  return s && *s ? std::atoi(s) : 1;
}

// Waits for `pid` up to `d`; its exit code, or -1 when it is still running.
int wait_up_to(int pid, std::chrono::milliseconds d) {
  const auto end = Clock::now() + d;
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (Clock::now() >= end) return -1;
    std::this_thread::sleep_for(5ms);
  }
}

TEST_F(FaultE2E, TwentyFiveKillNinesAcrossTicksLoseNothing) {
  test::write_model(m_dir / "model.gguf");
  prepare(400, std::string("[extract]\nbatch_size = 5\nbatches_per_tick = 2\n") + k_tiny_bounds +
                   "[datasets]\nheldout_percent = 50\n"
                   "[train]\ntrainer = \"llama-opt\"\nmin_new_batches = 3\nepochs = 1\nlearning_rate = 0.001\n"
                   "context = 256\nbatch = 256\nubatch = 256\n"
                   // A scripted verdict that passes every candidate, so that promote (and extraction with
                   // the promoted model) runs between the kills; the built-in evaluator is EvalE2E's.
                   "[eval]\ncommand = [\"/bin/sh\", \"-c\", \"sleep 1; echo '{\\\"pass\\\": true, "
                   "\\\"metrics\\\": {\\\"scripted\\\": 1}}'\"]\n"
                   "[model]\ncontext = 8192\n" +
                   test::threads_setting() + "path = \"" + (m_dir / "model.gguf").string() + "\"\n");
  std::mt19937 rng(static_cast<std::uint32_t>(fault_seed()));
  // A tick here takes 3 to 6 s (loading the model, two batches, training, evaluating).
  std::uniform_int_distribution<int> moment(20, 5000);
  int kills = 0, finished = 0;
  std::map<std::string, int> killed_during;  // what the killed tick was doing, as far as the files tell
  for (int round = 0; kills < 25 && round < 200; ++round) {
    const auto started = fs::file_time_type::clock::now();
    const int pid = spawn({"tick"});
    const int rc = wait_up_to(pid, std::chrono::milliseconds(moment(rng)));
    if (rc >= 0) {  // it finished first
      EXPECT_TRUE(rc == 0 || rc == 1) << "tick exited " << rc;
      ++finished;
      continue;
    }
    ::kill(pid, SIGKILL);
    test::wait_exit(pid);
    ++kills;
    // Right after the kill, before anything repairs it: the database is intact.
    ASSERT_EQ(integrity(), "ok") << "after kill " << kills;
    bool evaluating = false;
    if (fs::exists(m_ws / "models"))
      for (const auto& d : fs::directory_iterator(m_ws / "models"))
        evaluating |= fs::exists(d.path() / "eval.log") && fs::last_write_time(d.path() / "eval.log") >= started;
    const char* during =
        count("SELECT COUNT(*) FROM batches WHERE status = 'running'") > 0 ? "extract"
        : count("SELECT COUNT(*) FROM models WHERE state = 'training' AND owner_pid = " + std::to_string(pid)) > 0
            ? "train"
        : evaluating ? "eval"
                     : "the other steps";
    ++killed_during[during];
  }
  EXPECT_EQ(kills, 25);
  // Then the loop runs on until there is nothing left to do (`run` reads the rest quicker).
  auto rest = kt({"run", "--no-progress"});
  EXPECT_EQ(rest.exit_code, 0) << rest.err;
  bool idle = false;
  for (int i = 0; i < 40 && !idle; ++i) {
    auto r = kt({"tick", "--json"});
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.out << r.err;
    const json j = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.out << r.err;
    std::map<std::string, std::string> st;
    for (const auto& s : j["steps"]) st[s["step"]] = s["status"];
    idle = st["extract"] == "skipped" && st["train"] == "skipped" && st["eval"] == "skipped";
  }
  EXPECT_TRUE(idle) << "the loop did not settle";
  const int done = test::expect_exactly_once(m_ws);
  const auto sound = test::expect_sound(m_ws);
  const auto failed = count("SELECT COUNT(*) FROM batches WHERE status = 'failed'");
  std::printf("[fault] seed %d: %d kill -9s survived (%d ticks finished between them); killed while:", fault_seed(),
              kills, finished);
  for (const auto& [k, n] : killed_during) std::printf(" %s %d;", k.c_str(), n);
  std::printf(" then %d done + %lld failed batches checked, %d candidates, %d promotions\n", done,
              static_cast<long long>(failed), sound.candidates, sound.promotions);
  EXPECT_GT(sound.candidates, 0) << "no training happened: the kills did not reach the later steps";
}

TEST_F(FaultE2E, AModelServerKilledAndRestartedDuringRunLosesNoBatch) {
  test::write_model(m_dir / "model.gguf");
  std::string error;
  auto server = test::LlamaServer::start((m_dir / "model.gguf").string(), 4096, 1, error);
  ASSERT_TRUE(server) << error;
  prepare(60, std::string("[extract]\nbatch_size = 5\nretry_backoff_ms = 200\nstop_after_failures = 100\n") +
                  k_tiny_bounds + "[model]\nbackend = \"openai\"\nendpoint = \"" + server->url() +
                  "\"\nretries = 6\ntimeout_s = 30\n");
  const int pid =
      test::spawn_knowthy_to({"--workspace", m_ws.string(), "run", "--no-progress"}, m_dir / "out", m_dir / "err");
  const auto end = Clock::now() + 120s;
  while (count("SELECT COUNT(*) FROM batches WHERE status = 'done'") < 2 && Clock::now() < end)
    std::this_thread::sleep_for(20ms);
  const auto before = count("SELECT COUNT(*) FROM batches WHERE status = 'done'");
  server->kill9();  // mid-batch, most likely: the run keeps calling
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(server->restart(error)) << error;
  const int rc = test::wait_exit(pid);
  const std::string err = test::read_text(m_dir / "err");
  EXPECT_EQ(rc, 0) << err;
  EXPECT_NE(err.find("the model failed"), std::string::npos) << "the run never saw the server down:\n" << err;
  EXPECT_GT(count("SELECT COUNT(*) FROM batches WHERE status = 'done'"), before)
      << "nothing was done after the restart";
  // Batches whose retries ran out went back to pending; the next run does them.
  auto again = kt({"run", "--no-progress"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(count("SELECT COUNT(*) FROM batches WHERE status = 'failed'"), 0) << "the server's death failed a batch";
  const int done = test::expect_exactly_once(m_ws);
  test::expect_sound(m_ws);
  std::printf("[fault] model server killed after %lld of %d batches, back 1.5 s later; first run exit %d\n",
              static_cast<long long>(before), done, rc);
}

TEST_F(FaultE2E, ADiskThatFillsUpFailsTheWriteCleanlyAndTheNextRunCompletes) {
  prepare(120, "[extract]\nbatch_size = 5\nretry_backoff_ms = 10\n[train]\nmin_new_batches = 100000\n" +
                   command_model(test::k_scripted_answer_py));
  // Two file size limits: one below the batch files, so publishing fails first; one a little above
  // the database, so its commit fails after a few batches.
  const auto db_bytes = static_cast<std::uint64_t>(fs::file_size(m_ws / "knowthy.db"));
  int failures = 0;
  for (std::uint64_t limit : {std::uint64_t{1024}, db_bytes + 16 * 1024}) {
    const auto done_before = count("SELECT COUNT(*) FROM batches WHERE status = 'done'");
    auto r = test::run_knowthy_with_file_limit({"--workspace", m_ws.string(), "run", "--no-progress"}, limit);
    EXPECT_EQ(r.exit_code, 1) << "limit " << limit << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("knowthy: error:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("hint:"), std::string::npos) << r.err;
    failures += r.exit_code == 1;
    // Nothing is done that was not written: the done batches (and only they) are whole on disk.
    EXPECT_EQ(integrity(), "ok");
    EXPECT_EQ(count("SELECT COUNT(*) FROM batches WHERE status = 'failed'"), 0) << "a full disk failed a batch";
    auto v = kt({"verify"});
    EXPECT_EQ(v.exit_code, 0) << "limit " << limit << ": " << v.out;
    if (limit == 1024) {
      EXPECT_EQ(count("SELECT COUNT(*) FROM batches WHERE status = 'done'"), done_before);
    }
  }
  EXPECT_EQ(failures, 2);
  EXPECT_GT(count("SELECT COUNT(*) FROM batches WHERE status = 'done'"), 0) << "the second limit let no batch in";
  auto r = kt({"run", "--no-progress"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  test::expect_exactly_once(m_ws);
  auto t = kt({"tick"});  // removes what the failed writes left
  ASSERT_EQ(t.exit_code, 0) << t.out << t.err;
  test::expect_sound(m_ws);
}

TEST_F(FaultE2E, AStreakOfCorruptAnswersFailsThoseBatchesKeepsThemAndTheLoopGoesOn) {
  // While the flag file exists, the model answers nonsense.
  const std::string flag = (m_dir / "corrupt").string();
  const std::string script = std::string("import os, sys\nif os.path.exists('") + flag +
                             "'):\n    sys.stdin.read(); print('{\"notes_markdown\": oops, not json at all'); "
                             "sys.exit(0)\n" +
                             test::k_scripted_answer_py;
  prepare(80,
          "[extract]\nbatch_size = 5\nbatches_per_tick = 3\nretries = 1\nretry_backoff_ms = 10\n"
          "stop_after_failures = 3\n" +
              command_model(script));
  auto tick = [&](int want) {
    auto r = kt({"tick", "--json"});
    EXPECT_EQ(r.exit_code, want) << r.out << r.err;
    std::map<std::string, std::string> st;
    const json j = json::parse(r.out, nullptr, false);
    if (j.is_object())
      for (const auto& s : j["steps"]) st[s["step"]] = s["status"];
    return st;
  };
  EXPECT_EQ(tick(0)["extract"], "ok");
  test::write_text(flag, "");
  auto st = tick(1);
  EXPECT_EQ(st["extract"], "failed");  // three in a row stopped the step ...
  EXPECT_EQ(st["consolidate"], "ok");  // ... and the loop went on
  EXPECT_EQ(st["datasets"], "ok");
  EXPECT_EQ(count("SELECT COUNT(*) FROM batches WHERE status = 'failed'"), 3);
  // Kept with what the model said.
  auto db = store::Db::open(m_ws / "knowthy.db");
  const auto failed_ids = db->query_ints("SELECT id FROM batches WHERE status = 'failed'");
  ASSERT_TRUE(failed_ids);
  for (auto id : *failed_ids) {
    const fs::path dir = m_ws / "runs" / pipeline::batch_dir_name(id);
    EXPECT_NE(test::read_text(dir / "draft.txt").find("not json at all"), std::string::npos) << dir;
  }
  auto h = kt({"health", "--json"});  // exit 1 when it fails
  const json hj = json::parse(h.out, nullptr, false);
  ASSERT_TRUE(hj.is_object()) << h.out << h.err;
  EXPECT_NE(hj["status"], "ok") << h.out;  // warn or fail: the batches failing
  fs::remove(flag);
  EXPECT_EQ(tick(0)["extract"], "ok");  // the next tick goes on
  auto retry = kt({"extract", "--retry-failed"});
  EXPECT_EQ(retry.exit_code, 0) << retry.err;
  ASSERT_EQ(kt({"run", "--no-progress"}).exit_code, 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM batches WHERE status = 'failed'"), 0);
  test::expect_exactly_once(m_ws);
}

TEST_F(FaultE2E, TwoTicksStartedTogetherOneRunsTheOtherExits75) {
  prepare(200, "[extract]\nbatch_size = 5\nbatches_per_tick = 2\n" +
                   command_model("import time\ntime.sleep(0.2)\n" + std::string(test::k_scripted_answer_py)));
  for (int round = 0; round < 4; ++round) {
    const int a = spawn({"tick"}), b = spawn({"tick"});
    const int ra = test::wait_exit(a), rb = test::wait_exit(b);
    EXPECT_TRUE((ra == 0 && rb == 75) || (ra == 75 && rb == 0)) << "round " << round << ": " << ra << " and " << rb;
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM runs WHERE command = 'tick'"), 4);  // the refused ones record nothing
  EXPECT_EQ(count("SELECT COUNT(*) FROM batches WHERE status = 'done'"), 8);
}

}  // namespace
}  // namespace knowthy
