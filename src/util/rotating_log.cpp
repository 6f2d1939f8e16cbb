#include "util/rotating_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace knowthy::util {

namespace fs = std::filesystem;

RotatingLog::RotatingLog(fs::path path, std::uint64_t max_bytes, int keep)
    : m_path(std::move(path)), m_max_bytes(max_bytes), m_keep(keep < 1 ? 1 : keep) {}

void RotatingLog::set_limits(std::uint64_t max_bytes, int keep) {
  m_max_bytes = max_bytes;
  m_keep = keep < 1 ? 1 : keep;
}

void RotatingLog::rotate() {
  auto numbered = [&](int i) { return fs::path(m_path.string() + "." + std::to_string(i)); };
  std::error_code ec;
  fs::remove(numbered(m_keep), ec);
  for (int i = m_keep - 1; i >= 1; --i)
    if (fs::exists(numbered(i), ec)) fs::rename(numbered(i), numbered(i + 1), ec);
  fs::rename(m_path, numbered(1), ec);
}

Status RotatingLog::write_line(std::string_view line) {
  std::string data(line);
  data += '\n';
  std::error_code ec;
  const auto size = fs::file_size(m_path, ec);
  if (!ec && size > 0 && size + data.size() > m_max_bytes) rotate();
  if (!m_path.parent_path().empty()) fs::create_directories(m_path.parent_path(), ec);
  const int fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return fail(m_path.string(), std::strerror(errno), "check the folder's permissions and free space");
  const ssize_t n = ::write(fd, data.data(), data.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(data.size()))
    return fail(m_path.string(), n < 0 ? std::strerror(err) : "short write", "check the free space");
  return {};
}

}  // namespace knowthy::util
