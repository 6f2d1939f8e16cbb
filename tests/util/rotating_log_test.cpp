// The rotated log: whole lines, files no larger than the limit, the oldest dropped past `keep`.
#include "util/rotating_log.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/support.hpp"

namespace knowthy::util {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> lines(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream f(p);
  for (std::string l; std::getline(f, l);) out.push_back(l);
  return out;
}

TEST(RotatingLog, RotatesBySizeAndKeepsTheNewestFiles) {
  test::TempDir dir;
  const fs::path p = dir / "logs" / "daemon.jsonl";
  RotatingLog log(p, 1000, 2);
  for (int i = 0; i < 100; ++i) {
    std::string line = "line " + std::to_string(i) + " ";
    line.resize(99, 'x');  // 100 bytes with the newline: ten lines a file
    ASSERT_TRUE(log.write_line(line));
  }
  EXPECT_TRUE(fs::exists(p));
  EXPECT_TRUE(fs::exists(p.string() + ".1"));
  EXPECT_TRUE(fs::exists(p.string() + ".2"));
  EXPECT_FALSE(fs::exists(p.string() + ".3"));
  for (const auto& f : {p, fs::path(p.string() + ".1"), fs::path(p.string() + ".2")}) {
    EXPECT_LE(fs::file_size(f), 1000u) << f;
    EXPECT_EQ(lines(f).size(), 10u) << f;
  }
  EXPECT_EQ(lines(p).back().rfind("line 99 ", 0), 0u);
  EXPECT_EQ(lines(p.string() + ".2").front().rfind("line 70 ", 0), 0u);
  // A line longer than the limit is still written whole, alone in its file.
  ASSERT_TRUE(log.write_line(std::string(3000, 'y')));
  EXPECT_EQ(lines(p).size(), 1u);
  EXPECT_EQ(lines(p.string() + ".1").back().rfind("line 99 ", 0), 0u);
}

}  // namespace
}  // namespace knowthy::util
