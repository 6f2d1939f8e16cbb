#include "util/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace knowthy::util {
namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

Status fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(dir.string(), "cannot open folder: " + errno_text());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return fail(dir.string(), "fsync failed: " + errno_text());
  return {};
}

Status link_or_write_atomic(const fs::path& existing, const fs::path& path, std::string_view data) {
  std::string name(".");  // a hidden temp name beside the target
  name += path.filename().string();
  name += ".link.";
  name += std::to_string(::getpid());
  const fs::path tmp = path.parent_path() / name;
  ::unlink(tmp.c_str());
  if (::link(existing.c_str(), tmp.c_str()) != 0) return write_file_atomic(path, data);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    return fail(path.string(), "cannot rename into place: " + why);
  }
  return fsync_dir(path.parent_path());
}

Status sync_filesystem(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(path.string(), "cannot open: " + errno_text());
  int rc = ::syncfs(fd);
  ::close(fd);
  if (rc != 0) return fail(path.string(), "syncfs failed: " + errno_text());
  return {};
}

namespace {

Status write_fd(const fs::path& path, std::string_view data, unsigned mode, bool sync) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail(path.string(), "cannot create: " + errno_text());
  ::fchmod(fd, mode);  // the umask may have narrowed or widened what open() set
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string why = errno_text();
      ::close(fd);
      ::unlink(path.c_str());
      return fail(path.string(), "write failed: " + why);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if ((sync && ::fdatasync(fd) != 0) || ::close(fd) != 0) {
    std::string why = errno_text();
    ::unlink(path.c_str());
    return fail(path.string(), (sync ? "fsync failed: " : "close failed: ") + why);
  }
  return {};
}

}  // namespace

Status write_file_synced(const fs::path& path, std::string_view data, unsigned mode) {
  return write_fd(path, data, mode, true);
}

Status write_file(const fs::path& path, std::string_view data, unsigned mode) {
  return write_fd(path, data, mode, false);
}

Status write_file_atomic(const fs::path& path, std::string_view data, unsigned mode) {
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  if (auto s = write_file_synced(tmp, data, mode); !s) return s;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = errno_text();
    ::unlink(tmp.c_str());
    return fail(path.string(), "rename failed: " + why);
  }
  return fsync_dir(path.parent_path());
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path.string(), "cannot open: " + errno_text());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return fail(path.string(), "read failed");
  return std::move(ss).str();
}

Status make_private_dir(const fs::path& dir, unsigned mode) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(dir.string(), "cannot create folder: " + ec.message());
  if (::chmod(dir.c_str(), mode) != 0) return fail(dir.string(), "cannot set permissions: " + errno_text());
  return {};
}

std::string file_tail(const std::filesystem::path& path, std::streamoff bytes) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return {};
  const std::streamoff size = f.tellg();
  if (size <= 0) return {};
  const std::streamoff from = std::max<std::streamoff>(0, size - bytes);
  f.seekg(from);
  std::string tail(static_cast<size_t>(size - from), '\0');
  f.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<size_t>(f.gcount()));
  return tail;
}

std::string last_line(const std::filesystem::path& path) {
  std::string tail = file_tail(path, 4096);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  const auto nl = tail.find_last_of("\r\n");
  return nl == std::string::npos ? tail : tail.substr(nl + 1);
}

namespace {
bool temp_name(std::string_view n) {
  auto ends_with_pid = [&](std::string_view marker) {
    const auto p = n.rfind(marker);
    if (p == std::string_view::npos || p + marker.size() == n.size()) return false;
    for (char c : n.substr(p + marker.size()))
      if (c < '0' || c > '9') return false;
    return true;
  };
  return n.ends_with(".tmp") || ends_with_pid(".tmp.") || ends_with_pid(".link.");
}
}  // namespace

std::vector<fs::path> remove_temp_files(const fs::path& root, const std::function<bool(const fs::path&)>& skip) {
  std::vector<fs::path> removed;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path p = it->path();
    const bool dir = it->is_directory(ec) && !it->is_symlink(ec);
    if (temp_name(p.filename().string())) {
      if (dir) it.disable_recursion_pending();
      std::error_code rm;
      fs::remove_all(p, rm);
      if (!rm) removed.push_back(p);
    } else if (dir && skip && skip(p)) {
      it.disable_recursion_pending();
    }
  }
  return removed;
}

}  // namespace knowthy::util
