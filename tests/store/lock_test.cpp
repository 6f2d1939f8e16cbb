// The workspace lock: one loop run at a time; a second one exits 75 naming the holder.
#include "store/lock.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include "support/support.hpp"

namespace knowthy::store {
namespace {

TEST(WorkspaceLock, SecondAcquireFailsWithTheHolderAndReleaseFrees) {
  test::TempDir dir;
  {
    auto a = WorkspaceLock::acquire(dir.path(), "extract");
    ASSERT_TRUE(a);
    auto b = WorkspaceLock::acquire(dir.path(), "run");
    ASSERT_FALSE(b);  // flock is per open file description: a second open in one process conflicts too
    EXPECT_EQ(b.error().kind, ErrorKind::locked);
    EXPECT_EQ(exit_code(b.error()), 75);
    EXPECT_NE(b.error().why.find("pid " + std::to_string(::getpid()) + ", `extract`"), std::string::npos)
        << b.error().why;
  }
  EXPECT_TRUE(WorkspaceLock::acquire(dir.path(), "run"));
}

TEST(WorkspaceLockE2E, IngestWhileLockedExits75AndChangesNothing) {
  test::TempDir dir;
  const auto ws = dir / "ws";
  ASSERT_EQ(test::run_knowthy({"sample-archive", (dir / "a.zip").string(), "--tweets", "50"}).exit_code, 0);
  ASSERT_EQ(test::run_knowthy({"--workspace", ws.string(), "init"}).exit_code, 0);
  int fd = ::open((ws / "lock").c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  ASSERT_EQ(::ftruncate(fd, 0), 0);
  ASSERT_GT(::write(fd, "pid 4242, `run` since 2026-11-24T00:00:00Z", 42), 0);
  auto r = test::run_knowthy({"--workspace", ws.string(), "ingest", (dir / "a.zip").string()});
  EXPECT_EQ(r.exit_code, 75);
  EXPECT_NE(r.err.find("pid 4242"), std::string::npos) << r.err;
  auto st = test::run_knowthy({"--workspace", ws.string(), "status", "--json"});
  EXPECT_NE(st.out.find("\"total\":0"), std::string::npos) << st.out;
  ::close(fd);
  EXPECT_EQ(test::run_knowthy({"--workspace", ws.string(), "ingest", (dir / "a.zip").string()}).exit_code, 0);
}

}  // namespace
}  // namespace knowthy::store
