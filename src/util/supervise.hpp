#pragma once
// Long jobs (trainers) as supervised children: each in its own process group, with stdout and
// stderr appended to a log file as they come (never held in memory), a deadline, and a stop that
// reaches everything the job started (SIGTERM to the group, SIGKILL after a grace period). A pid
// is recorded with its start time, so that a later process can tell a live job from a reused pid.
#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"
#include "util/signals.hpp"

namespace knowthy::util {

struct ProcessId {
  pid_t pid = 0;
  std::uint64_t start_ticks = 0;  // /proc/<pid>/stat field 22: clock ticks after boot
};

// The start time of the process with that pid (a zombie's too: its pid is not free yet);
// nullopt when there is none.
std::optional<std::uint64_t> process_start_ticks(pid_t pid);
// Whether a process with that pid exists and has not finished (a zombie has).
bool process_running(pid_t pid);
// Whether `id` still names the process it named when it was recorded, and it has not finished.
bool process_alive(const ProcessId& id);
ProcessId self_process();

// SIGTERM to every process of group `pgid`, then SIGKILL to what is left after `grace`. When the
// group's leader is this process's child, pass `leader_status`: the leader is reaped into it (and
// true returned) so that its zombie does not count as alive.
bool stop_process_group(pid_t pgid, std::chrono::milliseconds grace, int* leader_status = nullptr);

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH; no shell
  std::filesystem::path log;      // stdout and stderr, appended
  std::filesystem::path out;      // when set, stdout goes here instead (truncated first)
  std::vector<std::string> env;   // extra "NAME=value" entries
};

// Starts the child: stdin is /dev/null, it leads a new process group, and it gets SIGTERM if
// this process dies first. Fails when the log cannot be opened or fork fails; a program that
// cannot be executed exits 127 with the reason in the log.
Result<ProcessId> spawn_logged(const SpawnSpec& spec);

struct WaitOptions {
  std::chrono::milliseconds timeout{0};  // 0: none
  std::chrono::milliseconds grace{10000};
  std::function<void()> tick;                 // called about 5 times a second while it runs
  const std::atomic<bool>* cancel = nullptr;  // set (e.g. by a signal handler): stop the child
};

struct Finish {
  int exit_code = 0;  // 128 + signal when a signal ended it
  int signal = 0;
  bool timed_out = false;
  bool cancelled = false;
};

// Waits for the child, stopping its group on the deadline or on cancel. Whatever way it ends,
// nothing of its group is left running afterwards.
Finish wait_supervised(const ProcessId& child, const WaitOptions& options);

// How a supervised child ended, in words: `who` ("the trainer") and `limit`, what its time-out was
// ("5 minutes ([train] max_minutes)"), name it. A crash names the usual cause (an assert for
// SIGABRT, the OOM killer for SIGKILL).
std::string describe_finish(const Finish& f, std::string_view who, std::string_view limit);

// Appends "knowthy: <line>" to a child's log, so that its reader tells knowthy's lines apart.
void append_log(const std::filesystem::path& log, std::string_view line);

}  // namespace knowthy::util
