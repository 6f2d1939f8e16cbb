// The module graph of README "Layout", checked on the sources: a module includes only its own
// headers and those of the modules below it. (The link checks in CMakeLists.txt catch calls; this
// catches headers used for inline code or types alone.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

namespace knowthy {
namespace {

namespace fs = std::filesystem;

TEST(Layering, EveryModuleIncludesOnlyTheModulesBelowIt) {
  const std::map<std::string, std::set<std::string>> below{
      {"util", {}},
      {"store", {"util"}},
      {"archive", {"store", "util"}},
      {"llm", {"store", "util"}},
      {"sample", {"util"}},
      {"pipeline", {"llm", "store", "util"}},
      {"knowledge", {"pipeline", "llm", "store", "util"}},
      {"train", {"knowledge", "pipeline", "llm", "store", "util"}},
      {"eval", {"train", "knowledge", "pipeline", "llm", "store", "util"}},
      {"schedule", {"eval", "train", "knowledge", "pipeline", "llm", "store", "util"}},
      {"report", {"eval", "train", "knowledge", "pipeline", "llm", "store", "util"}},
      {"cli",
       {"archive", "sample", "schedule", "report", "eval", "train", "knowledge", "pipeline", "llm", "store", "util"}},
  };
  static const std::regex k_include(R"(^\s*#\s*include\s+"([a-z_]+)/[^"]+")");
  const fs::path src = fs::path(KNOWTHY_SOURCE_DIR) / "src";
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(src)) {
    if (!e.is_regular_file() || e.path().parent_path() == src) continue;  // main.cpp sits on top of all
    const std::string module = e.path().parent_path().filename().string();
    ASSERT_TRUE(below.contains(module)) << "a module the graph does not know: " << module;
    ++files;
    std::ifstream in(e.path());
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      std::smatch m;
      if (!std::regex_search(line, m, k_include)) continue;
      const std::string used = m[1].str();
      EXPECT_TRUE(used == module || below.at(module).contains(used))
          << e.path().lexically_relative(src).string() << ":" << n << " includes " << used << "/ from " << module;
    }
  }
  EXPECT_GT(files, 100);
}

}  // namespace
}  // namespace knowthy
