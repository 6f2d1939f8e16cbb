#pragma once
// One loop run at a time per workspace: an exclusive flock on `workspace/lock`. The kernel drops
// the lock when the process dies, so a crash never leaves a stale lock behind. The file holds the
// holder's pid and command, for the message the next process prints.
#include <filesystem>
#include <string_view>

#include "util/result.hpp"

namespace knowthy::store {

class WorkspaceLock {
 public:
  // Takes the lock without waiting. Held by another process: an Error of kind `locked` (exit 75)
  // naming its pid and command.
  static Result<WorkspaceLock> acquire(const std::filesystem::path& dir, std::string_view command);

  WorkspaceLock(WorkspaceLock&& o) noexcept : m_fd(o.m_fd) { o.m_fd = -1; }
  WorkspaceLock& operator=(WorkspaceLock&&) = delete;
  WorkspaceLock(const WorkspaceLock&) = delete;
  ~WorkspaceLock();

 private:
  explicit WorkspaceLock(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

}  // namespace knowthy::store
