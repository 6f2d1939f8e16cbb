#include "util/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace knowthy {

namespace {

struct Fd {
  int fd = -1;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace

Result<ProcessResult> SystemProcessRunner::run(const std::string& command, const std::string& input,
                                               std::chrono::milliseconds timeout) {
  ::signal(SIGPIPE, SIG_IGN);  // a child that closes stdin early must not kill us
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return fail(command, std::strerror(errno));
  Fd in_r{in[0]}, in_w{in[1]};
  if (::pipe2(out, O_CLOEXEC) != 0) return fail(command, std::strerror(errno));
  Fd out_r{out[0]}, out_w{out[1]};
  if (::pipe2(err, O_CLOEXEC) != 0) return fail(command, std::strerror(errno));
  Fd err_r{err[0]}, err_w{err[1]};

  pid_t pid = ::fork();
  if (pid < 0) return fail(command, std::string("cannot start: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::setpgid(0, 0);  // its own group, so a timeout kills everything it started
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  in_r.reset();
  out_w.reset();
  err_w.reset();
  for (int fd : {in_w.fd, out_r.fd, err_r.fd}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (input.empty()) in_w.reset();

  ProcessResult r;
  size_t written = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    pollfd fds[3];
    int n = 0;
    for (int fd : {in_w.fd, out_r.fd, err_r.fd})
      if (fd >= 0) fds[n++] = pollfd{fd, static_cast<short>(fd == in_w.fd ? POLLOUT : POLLIN), 0};
    int rc = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (rc < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in_w.fd) {
        ssize_t w = ::write(in_w.fd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN)
          in_w.reset();  // EPIPE: it stopped reading, fine
        else if (written == input.size())
          in_w.reset();
      } else {
        Fd& src = fds[i].fd == out_r.fd ? out_r : err_r;
        ssize_t got = ::read(src.fd, buf, sizeof buf);
        if (got > 0)
          (&src == &out_r ? r.out : r.err).append(buf, static_cast<size_t>(got));
        else if (got == 0 || errno != EAGAIN)
          src.reset();
      }
    }
  }
  in_w.reset();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status))
    r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    r.exit_code = 128 + WTERMSIG(status);
  return r;
}

}  // namespace knowthy
