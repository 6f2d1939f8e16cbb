#include "util/supervise.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "support/support.hpp"

namespace knowthy::util {
namespace {

using namespace std::chrono_literals;

TEST(Supervise, StreamsOutputToTheLogAndReportsTheExitCode) {
  test::TempDir dir;
  const auto log = dir / "train.log";
  auto child = spawn_logged(
      {.argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, .log = log, .out = {}, .env = {"X=1"}});
  ASSERT_TRUE(child);
  EXPECT_GT(child->start_ticks, 0u);
  int ticks = 0;
  const Finish f = wait_supervised(*child, {.timeout = 10s, .grace = 1s, .tick = [&] { ++ticks; }, .cancel = nullptr});
  EXPECT_EQ(f.exit_code, 3);
  EXPECT_FALSE(f.timed_out);
  EXPECT_EQ(test::read_text(log), "out\nerr\n");
  EXPECT_FALSE(process_alive(*child));
}

TEST(Supervise, StdoutCanGoToAFileOfItsOwn) {
  test::TempDir dir;
  test::write_text(dir / "verdict.json", "stale");
  auto child = spawn_logged({.argv = {"/bin/sh", "-c", "echo '{}'; echo progress >&2"},
                             .log = dir / "eval.log",
                             .out = dir / "verdict.json",
                             .env = {}});
  ASSERT_TRUE(child);
  EXPECT_EQ(wait_supervised(*child, {.timeout = 10s, .grace = 1s, .tick = {}, .cancel = nullptr}).exit_code, 0);
  EXPECT_EQ(test::read_text(dir / "verdict.json"), "{}\n");  // truncated first
  EXPECT_EQ(test::read_text(dir / "eval.log"), "progress\n");
}

TEST(Supervise, AProgramThatCannotRunExits127WithTheReasonInTheLog) {
  test::TempDir dir;
  auto child = spawn_logged({.argv = {"/nonexistent/trainer"}, .log = dir / "log", .out = {}, .env = {}});
  ASSERT_TRUE(child);
  EXPECT_EQ(wait_supervised(*child, {}).exit_code, 127);
  EXPECT_NE(test::read_text(dir / "log").find("/nonexistent/trainer"), std::string::npos);
}

TEST(Supervise, ATimeoutStopsTheWholeGroupGrandchildrenIncluded) {
  test::TempDir dir;
  const auto pidfile = dir / "grandchild";
  // The grandchild ignores SIGTERM: only the SIGKILL after the grace period stops it.
  auto child = spawn_logged(
      {.argv = {"/bin/sh", "-c", "sh -c 'trap \"\" TERM; echo $$ > " + pidfile.string() + "; sleep 60' & wait"},
       .log = dir / "log",
       .out = {},
       .env = {}});
  ASSERT_TRUE(child);
  const auto t0 = std::chrono::steady_clock::now();
  const Finish f = wait_supervised(*child, {.timeout = 500ms, .grace = 300ms, .tick = {}, .cancel = nullptr});
  EXPECT_TRUE(f.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  const pid_t grandchild = std::stoi(test::read_text(pidfile));
  for (int i = 0; i < 100 && process_running(grandchild); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(process_running(grandchild)) << "the grandchild survived";
}

TEST(Supervise, CancelStopsTheChild) {
  test::TempDir dir;
  std::atomic<bool> cancel{false};
  auto child = spawn_logged({.argv = {"sleep", "60"}, .log = dir / "log", .out = {}, .env = {}});
  ASSERT_TRUE(child);
  int ticks = 0;
  const Finish f = wait_supervised(*child, {.timeout = 60s,
                                            .grace = 1s,
                                            .tick =
                                                [&] {
                                                  if (++ticks == 2) cancel = true;
                                                },
                                            .cancel = &cancel});
  EXPECT_TRUE(f.cancelled);
  EXPECT_EQ(f.signal, SIGTERM);
}

TEST(Supervise, AProcessIdIsAliveOnlyWithItsStartTime) {
  const ProcessId self = self_process();
  EXPECT_TRUE(process_alive(self));
  EXPECT_FALSE(process_alive({self.pid, self.start_ticks + 1}));
  EXPECT_FALSE(process_alive({0, 0}));
}

}  // namespace
}  // namespace knowthy::util
