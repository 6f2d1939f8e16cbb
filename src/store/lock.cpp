#include "store/lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "util/text.hpp"

namespace knowthy::store {

Result<WorkspaceLock> WorkspaceLock::acquire(const std::filesystem::path& dir, std::string_view command) {
  const auto path = dir / "lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(path.string(), std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string holder(256, '\0');
    ssize_t n = ::pread(fd, holder.data(), holder.size(), 0);
    holder.resize(n > 0 ? static_cast<size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    ::close(fd);
    if (err != EWOULDBLOCK) return fail(path.string(), std::strerror(err));
    return std::unexpected(Error{
        ErrorKind::locked, "workspace " + dir.string(),
        "another knowthy run holds its lock (" + (holder.empty() ? "pid unknown" : holder) + "); nothing was done",
        "wait for it to finish, or stop it; the lock goes away with its process"});
  }
  const std::string who =
      "pid " + std::to_string(::getpid()) + ", `" + std::string(command) + "` since " + util::now_iso();
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, who.data(), who.size(), 0) < 0) {
    ::close(fd);
    return fail(path.string(), std::strerror(errno));
  }
  return WorkspaceLock(fd);
}

WorkspaceLock::~WorkspaceLock() {
  if (m_fd >= 0) ::close(m_fd);  // releases the flock
}

}  // namespace knowthy::store
