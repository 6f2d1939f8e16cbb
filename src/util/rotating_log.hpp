#pragma once
// An append-only log of lines (JSON lines for the daemon), rotated by size: when a line would take
// `name` past max_bytes it becomes name.1 (name.1 becomes name.2, ...) and the oldest beyond
// `keep` files is removed. Each line is one write(2) on an O_APPEND descriptor, so a crash leaves
// whole lines and a reader never sees half of one.
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "util/result.hpp"

namespace knowthy::util {

class RotatingLog {
 public:
  RotatingLog(std::filesystem::path path, std::uint64_t max_bytes, int keep);
  Status write_line(std::string_view line);
  void set_limits(std::uint64_t max_bytes, int keep);
  const std::filesystem::path& path() const { return m_path; }

 private:
  void rotate();
  std::filesystem::path m_path;
  std::uint64_t m_max_bytes;
  int m_keep;
};

}  // namespace knowthy::util
