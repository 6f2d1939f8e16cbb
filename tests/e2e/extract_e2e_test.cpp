// knowthy extract / run / verify through the real binary: the tiny model on the embedded engine,
// the same model behind a real llama-server, and an external command; then kill -9 at every step
// of a batch's life and check that the next run loses nothing and does nothing twice.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "pipeline/artifacts.hpp"
#include "store/db.hpp"
#include "support/invariants.hpp"
#include "support/support.hpp"

namespace knowthy {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// An agent-like command that answers instantly, citing the first two tweets of its batch.
const char* k_answer_script = R"(#!/bin/sh
ids=$(grep -o '^\[[0-9]*\]' | head -2 | tr -d '[]' | sed 's/.*/"&"/' | paste -sd, -)
[ -n "$KNOWTHY_TEST_SLEEP" ] && sleep "$KNOWTHY_TEST_SLEEP"
printf '{"notes_markdown":"n","knowledge_candidates":[{"category":"habit","claim":"c","evidence_tweet_ids":[%s],"confidence":0.5}],"training_examples":[{"prompt":"p","response":"r","evidence_tweet_ids":[%s]}],"rubric_scores":{"grounding":3,"specificity":3,"source_distinction":3,"coverage":3}}\n' "$ids" "$ids"
)";

class ExtractE2E : public ::testing::Test {
 protected:
  void SetUp() override { m_ws = (m_dir / "ws").string(); }

  // A small sample archive imported into a fresh workspace whose knowthy.toml is `config`.
  void prepare(int tweets, const std::string& config) {
    auto a = test::run_knowthy({"sample-archive", (m_dir / "a.zip").string(), "--tweets", std::to_string(tweets),
                                "--deleted", "3", "--likes", "2"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    auto i = test::run_knowthy({"--workspace", m_ws, "init"});
    ASSERT_EQ(i.exit_code, 0) << i.err;
    test::write_text(fs::path(m_ws) / "knowthy.toml", config);
    auto g = test::run_knowthy({"--workspace", m_ws, "ingest", (m_dir / "a.zip").string()});
    ASSERT_EQ(g.exit_code, 0) << g.err;
  }
  std::string command_config(int batch_size, const std::string& sleep = "") {
    test::write_text(m_dir / "answer.sh", k_answer_script);
    return "[extract]\nbatch_size = " + std::to_string(batch_size) +
           "\nretry_backoff_ms = 10\n[model]\nbackend = \"command\"\ncommand = \"" +
           (sleep.empty() ? "" : "KNOWTHY_TEST_SLEEP=" + sleep + " ") + "sh " + (m_dir / "answer.sh").string() + "\"\n";
  }
  test::RunResult kt(std::vector<std::string> args, const std::vector<std::pair<std::string, std::string>>& env = {}) {
    args.insert(args.begin(), {"--workspace", m_ws});
    return test::run_knowthy(args, env);
  }

  int expect_exactly_once() { return test::expect_exactly_once(m_ws); }

  test::TempDir m_dir;
  std::string m_ws;
};

// Small answer bounds that suit the random sample model (it fills every string to its bound).
std::string tiny_bounds(int batch_size) {
  return "[extract]\nbatch_size = " + std::to_string(batch_size) +
         "\nnotes_max_chars = 60\nmax_claims = 2\nclaim_max_chars = 50\nmax_evidence = 2\nmax_examples = 1\n"
         "example_prompt_max_chars = 40\nexample_response_max_chars = 60\n";
}

// What the construction guarantees, whatever the random model says on this CPU: every batch is
// done (an answer under the batch's grammar always closes and parses), every evidence id is a
// tweet of its batch, and the critique evaluated only its new message: the draft's answer stays
// in the KV cache as sampled.
TEST_F(ExtractE2E, TheTinyModelOnTheEmbeddedEngine) {
  ASSERT_EQ(test::run_knowthy(test::sample_model_args(m_dir / "m.gguf")).exit_code, 0);
  prepare(12, tiny_bounds(5) + "[model]\npath = \"" + (m_dir / "m.gguf").string() + "\"\n" + test::threads_setting() +
                  "context = 8192\n");
  auto r = kt({"run", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["batches_failed"], 0) << r.out;
  EXPECT_EQ(j["remaining"]["pending"], 0);
  EXPECT_EQ(j["remaining"]["tweets_remaining"], 0);
  EXPECT_EQ(j["remaining"]["failed"], 0);
  const int done = expect_exactly_once();
  EXPECT_EQ(done, j["batches_done"].get<int>());
  EXPECT_GE(done, 2);
  for (int id = 1; id <= done; ++id) {
    const fs::path dir = fs::path(m_ws) / "runs" / pipeline::batch_dir_name(id);
    auto b = json::parse(test::read_text(dir / "batch.json"));
    const auto& d = b["tokens"]["draft"];
    const auto& c = b["tokens"]["critique"];
    // One attempt per pass, each a whole JSON object within max_tokens.
    EXPECT_EQ(b["attempts"].size(), 2u) << b["attempts"];
    for (const auto& a : b["attempts"]) {
      EXPECT_EQ(a["finish"], "stop");
      EXPECT_LT(a["completion_tokens"].get<int>(), b["max_tokens"].get<int>());
    }
    EXPECT_EQ(b["normalization"]["hallucinated_count"], 0);
    EXPECT_EQ(b["normalization"]["draft"]["hallucinated_count"], 0);
    // Token accounting: the critique's prompt is the draft's prompt, the draft's answer and the
    // new message; only the new message was evaluated (the bound: 1.1x its tokens).
    const int fresh = c["prompt"].get<int>() - d["prompt"].get<int>() - d["completion"].get<int>();
    EXPECT_GT(fresh, 0) << b["tokens"];
    EXPECT_LE(c["prompt_evaluated"].get<int>(), fresh * 11 / 10) << b["tokens"];
    EXPECT_LE(d["prompt_evaluated"].get<int>(), d["prompt"].get<int>());  // a shared system prompt may be cached
    std::set<std::string> tweets;
    for (const auto& t : b["tweet_ids"]) tweets.insert(t.get<std::string>());
    for (const auto& cand : json::parse(test::read_text(dir / "candidates.json")))
      for (const auto& id : cand["evidence_tweet_ids"]) EXPECT_TRUE(tweets.contains(id.get<std::string>())) << id;
  }
  auto s = kt({"status", "--json"});
  auto sj = json::parse(s.out);
  EXPECT_EQ(sj["batches"]["done"], j["batches_done"]);
  EXPECT_EQ(sj["batches"]["pending"], 0);
}

TEST_F(ExtractE2E, TheTinyModelBehindARealLlamaServer) {
  ASSERT_EQ(test::run_knowthy(test::sample_model_args(m_dir / "m.gguf")).exit_code, 0);
  std::string error;
  auto server = test::LlamaServer::start((m_dir / "m.gguf").string(), 8192, 2, error);
  ASSERT_TRUE(server) << error;
  prepare(12, tiny_bounds(12) + "[model]\nbackend = \"openai\"\nendpoint = \"" + server->url() + "\"\n");
  auto r = kt({"run", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["batches_done"], 1) << r.out;
  EXPECT_EQ(expect_exactly_once(), 1);
  // The server honoured the batch's schema: only the batch's tweets are cited.
  auto b = json::parse(test::read_text(fs::path(m_ws) / "runs" / "batch_000001" / "batch.json"));
  EXPECT_EQ(b["normalization"]["hallucinated_count"], 0);
  EXPECT_EQ(b["normalization"]["draft"]["hallucinated_count"], 0);
}

TEST_F(ExtractE2E, ExtractDoesABudgetAndStatusCountsWhatIsLeft) {
  prepare(40, command_config(10));
  auto s0 = json::parse(kt({"status", "--json"}).out);
  const int remaining = s0["batches"]["tweets_remaining"];
  EXPECT_EQ(s0["batches"],
            json({{"done", 0}, {"failed", 0}, {"pending", (remaining + 9) / 10}, {"tweets_remaining", remaining}}));
  auto r = kt({"extract", "--batches", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("extract: 2 batch(es) done (20 tweets), 0 failed"), std::string::npos) << r.out;
  auto s1 = json::parse(kt({"status", "--json"}).out);
  EXPECT_EQ(s1["batches"]["done"], 2);
  EXPECT_EQ(s1["batches"]["tweets_remaining"], remaining - 20);
  auto all = kt({"run"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  expect_exactly_once();
  auto none = kt({"run"});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_NE(none.out.find("nothing to do"), std::string::npos);
}

TEST_F(ExtractE2E, ASecondLoopRunExits75NamingTheHolder) {
  prepare(10, command_config(10));
  const fs::path lock = fs::path(m_ws) / "lock";
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 0), 0);
  const std::string holder = "pid 4242, `run` since 2026-01-01T00:00:00Z\n";
  ASSERT_EQ(::write(fd, holder.data(), holder.size()), static_cast<ssize_t>(holder.size()));
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  for (const char* cmd : {"extract", "run"}) {
    auto r = kt({cmd});
    EXPECT_EQ(r.exit_code, 75) << r.err;
    EXPECT_NE(r.err.find("4242"), std::string::npos) << r.err;
  }
  ::close(fd);
  EXPECT_EQ(kt({"extract"}).exit_code, 0);
}

TEST_F(ExtractE2E, BadInputIsAClearErrorAndChangesNothing) {
  test::write_text(m_dir / "answer.sh", k_answer_script);
  ASSERT_EQ(kt({"init"}).exit_code, 0);
  auto r = kt({"extract"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("knowthy: error: workspace: no archive has been imported yet"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("knowthy ingest"), std::string::npos);
  prepare(10, command_config(5));
  test::write_text(fs::path(m_ws) / "prompts" / "draft.user.md", "  \n");
  r = kt({"extract"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("draft.user.md: the prompt template is empty"), std::string::npos) << r.err;
  EXPECT_EQ(json::parse(kt({"status", "--json"}).out)["batches"]["done"], 0);
  auto redo = kt({"extract", "--redo", "9"});
  EXPECT_EQ(redo.exit_code, 2);
}

TEST_F(ExtractE2E, PromptOverridesInTheWorkspaceAreUsed) {
  prepare(10, command_config(5));
  test::write_text(fs::path(m_ws) / "prompts" / "draft.user.md", "Tweets of @{{account}}:\n{{tweets}}\nJSON please.");
  ASSERT_EQ(kt({"extract", "--batches", "1"}).exit_code, 0);
  auto b = json::parse(test::read_text(fs::path(m_ws) / "runs" / "batch_000001" / "batch.json"));
  EXPECT_TRUE(b["prompt"][1]["content"].get<std::string>().starts_with("Tweets of @ada_fieldnotes:\n["));
  EXPECT_EQ(b["prompts_overridden"], json({"draft.user.md"}));
}

TEST_F(ExtractE2E, AModelServerThatIsDownStopsTheRunCleanly) {
  prepare(30,
          "[extract]\nbatch_size = 5\nretries = 1\nretry_backoff_ms = 1\nstop_after_failures = 2\n"
          "[model]\nbackend = \"openai\"\nendpoint = \"http://127.0.0.1:9\"\nretries = 0\n");
  auto r = kt({"run"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("stopped: 2 batches in a row failed"), std::string::npos) << r.err;
  // Said once, not once per batch.
  size_t n = 0;
  for (size_t p = r.err.find("warning: the model failed"); p != std::string::npos;
       p = r.err.find("warning: the model failed", p + 1))
    ++n;
  EXPECT_EQ(n, 1u) << r.err;
  auto s = json::parse(kt({"status", "--json"}).out);
  EXPECT_EQ(s["batches"]["done"], 0);
  EXPECT_EQ(s["batches"]["failed"], 0);  // not the batches' fault: they wait for the next run
  EXPECT_EQ(kt({"verify"}).exit_code, 0);
}

// kill -9 at each step of a batch's life (after it is claimed, between the passes, between file
// writes, before the folder is renamed into place, before and after the commit), then run again.
TEST_F(ExtractE2E, KillNineAtEveryStepLosesNothingAndDoesNothingTwice) {
  prepare(300, command_config(2));
  int crashes = 0;
  for (const char* point : {"claimed", "drafted", "publish_file", "publish_swap", "published", "commit", "committed"}) {
    for (int n : {1, 2, 3}) {
      const std::string at = std::string(point) + ":" + std::to_string(n);
      auto r = kt({"extract", "--batches", "3"}, {{"KNOWTHY_CRASH_AT", at}});
      if (r.exit_code == 137)
        ++crashes;
      else
        EXPECT_EQ(r.exit_code, 0) << at << r.err;
      // The next run recovers whatever the crash left, and the workspace is consistent again.
      auto next = kt({"extract", "--batches", "1"});
      EXPECT_EQ(next.exit_code, 0) << at << next.err;
      auto v = kt({"verify"});
      EXPECT_EQ(v.exit_code, 0) << at << "\n" << v.out;
    }
  }
  EXPECT_EQ(crashes, 21);  // every point was reached
  ASSERT_EQ(kt({"run"}).exit_code, 0);
  expect_exactly_once();
}

TEST_F(ExtractE2E, KillNineAtRandomMomentsLosesNothing) {
  prepare(80, command_config(3, "0.01"));
  std::mt19937 rng(1234);
  for (int i = 0; i < 12; ++i) {
    int pid = test::spawn_knowthy({"--workspace", m_ws, "run", "--no-progress"});
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 250)(rng)));
    ::kill(pid, SIGKILL);
    test::wait_exit(pid);
  }
  ASSERT_EQ(kt({"run"}).exit_code, 0);
  expect_exactly_once();
}

}  // namespace
}  // namespace knowthy
