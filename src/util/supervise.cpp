#include "util/supervise.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace knowthy::util {

namespace {

struct Stat {
  char state = '?';
  std::uint64_t start_ticks = 0;
};

std::optional<Stat> read_stat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  if (!f || !std::getline(f, s)) return std::nullopt;
  // The command name (field 2) may hold spaces and parentheses: fields restart after the last ')'.
  const auto close = s.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(s.substr(close + 1));
  Stat st;
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(rest >> field)) return std::nullopt;
    if (i == 3) st.state = field.empty() ? '?' : field[0];
  }
  st.start_ticks = std::strtoull(field.c_str(), nullptr, 10);
  return st;
}

}  // namespace

std::optional<std::uint64_t> process_start_ticks(pid_t pid) {
  auto st = read_stat(pid);
  if (!st) return std::nullopt;
  return st->start_ticks;
}

bool process_running(pid_t pid) {
  auto st = read_stat(pid);
  return st && st->state != 'Z' && st->state != 'X';
}

bool process_alive(const ProcessId& id) {
  auto st = read_stat(id.pid);
  return st && st->start_ticks == id.start_ticks && st->state != 'Z' && st->state != 'X';
}

ProcessId self_process() {
  const pid_t pid = ::getpid();
  return {pid, process_start_ticks(pid).value_or(0)};
}

bool stop_process_group(pid_t pgid, std::chrono::milliseconds grace, int* leader_status) {
  bool reaped = false;
  auto reap = [&] {
    if (leader_status && !reaped && ::waitpid(pgid, leader_status, WNOHANG) == pgid) reaped = true;
  };
  if (pgid <= 1 || ::kill(-pgid, SIGTERM) != 0) return reaped;  // ESRCH: nothing left
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    reap();
    if (::kill(-pgid, 0) != 0) return reaped;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(-pgid, SIGKILL);
  return reaped;
}

Result<ProcessId> spawn_logged(const SpawnSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return bad_input("command", "is empty");
  const int log = ::open(spec.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log < 0) return fail(spec.log.string(), std::strerror(errno));
  int out = log;
  if (!spec.out.empty()) {
    out = ::open(spec.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
      const int err = errno;
      ::close(log);
      return fail(spec.out.string(), std::strerror(err));
    }
  }
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
  for (const auto& e : spec.env) env_store.push_back(e);
  std::vector<char*> argv, envp;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(log);
    if (out != log) ::close(out);
    return fail(spec.argv[0], std::string("cannot start: ") + std::strerror(err));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl took effect
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::sigaction(s, &dfl, nullptr);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(log, 2);
    ::execvpe(argv[0], argv.data(), envp.data());
    const char* why = std::strerror(errno);
    const char pre[] = "knowthy: cannot execute ";
    [[maybe_unused]] auto w = ::write(2, pre, sizeof pre - 1);
    w = ::write(2, argv[0], std::strlen(argv[0]));
    w = ::write(2, ": ", 2);
    w = ::write(2, why, std::strlen(why));
    w = ::write(2, "\n", 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so that the group exists before we ever signal it
  ::close(log);
  if (out != log) ::close(out);
  // The child's start time, read before it can have exited and been reaped (it is ours to reap).
  return ProcessId{pid, process_start_ticks(pid).value_or(0)};
}

Finish wait_supervised(const ProcessId& child, const WaitOptions& o) {
  Finish f;
  const auto start = std::chrono::steady_clock::now();
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(child.pid, &status, WNOHANG);
    if (r == child.pid) break;
    if (r < 0 && errno != EINTR) {
      status = 0;
      break;
    }
    const bool late = o.timeout.count() > 0 && std::chrono::steady_clock::now() - start >= o.timeout;
    const bool cancel = o.cancel && o.cancel->load();
    if (late || cancel) {
      f.timed_out = late && !cancel;
      f.cancelled = cancel;
      if (!stop_process_group(child.pid, o.grace, &status))
        while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
        }
      break;
    }
    if (o.tick) o.tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // Whatever it left running in its group goes with it.
  stop_process_group(child.pid, o.grace);
  if (WIFEXITED(status)) {
    f.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    f.signal = WTERMSIG(status);
    f.exit_code = 128 + f.signal;
  }
  return f;
}

std::string describe_finish(const Finish& f, std::string_view who, std::string_view limit) {
  if (f.cancelled) return fmt::format("cancelled (signal {}): {} was stopped", CancelOnSignal::signal(), who);
  if (f.timed_out) return fmt::format("timed out after {}: {} was stopped", limit, who);
  if (f.signal == SIGABRT) return fmt::format("{} aborted (SIGABRT: e.g. a failed assert inside llama.cpp)", who);
  if (f.signal == SIGKILL) return fmt::format("{} was killed (SIGKILL: perhaps the kernel's OOM killer)", who);
  if (f.signal) return fmt::format("{} was killed by signal {}", who, f.signal);
  return fmt::format("{} exited with status {}", who, f.exit_code);
}

void append_log(const std::filesystem::path& log, std::string_view line) {
  std::ofstream f(log, std::ios::app);
  f << "knowthy: " << line << "\n";
}

}  // namespace knowthy::util
