#pragma once
// Test helpers: temporary folders and running the real knowthy binary.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace knowthy::test {

// A fresh folder under the system temp dir (outside any git work tree), removed afterwards.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& s) const { return m_path / s; }

 private:
  std::filesystem::path m_path;
};

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs build/knowthy with `args` (no shell), capturing stdout and stderr; `env` adds
// NAME=value variables to its environment. A run killed by a signal exits 128 + the signal.
RunResult run_knowthy(const std::vector<std::string>& args,
                      const std::vector<std::pair<std::string, std::string>>& env = {});

std::string read_text(const std::filesystem::path& p);
void write_text(const std::filesystem::path& p, const std::string& s);

}  // namespace knowthy::test
