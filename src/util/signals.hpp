#pragma once
// Signals as flags. While a CancelOnSignal lives, SIGINT and SIGTERM (and SIGHUP, unless it asks
// for a reload) set flag() instead of ending the process, so that the work in progress stops at a
// safe point and records why. Scopes nest: an inner one (the trainer's supervisor inside a
// daemon's tick) shares the outer one's flags and leaves its handlers in place.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace knowthy::util {

class CancelOnSignal {
 public:
  enum class Hup { cancels, reloads };
  explicit CancelOnSignal(Hup hup = Hup::cancels);
  ~CancelOnSignal();
  CancelOnSignal(const CancelOnSignal&) = delete;
  CancelOnSignal& operator=(const CancelOnSignal&) = delete;

  static const std::atomic<bool>& flag();
  static int signal();  // the signal that set it
  // Whether SIGHUP came (under Hup::reloads) since the last call.
  static bool take_reload();
  // Sleeps up to `d`; returns early when one of these signals arrives, even one that came just
  // before the call (the handler writes to a pipe this polls).
  static void sleep(std::chrono::milliseconds d);

 private:
  std::vector<std::pair<int, struct sigaction>> m_saved;
  bool m_outer = false;
};

// Once `flag` is set, the work in progress gets `grace` to finish; then `expire` runs on the
// timer's own thread (it normally ends the process). Destroying the timer first disarms it.
class GraceTimer {
 public:
  GraceTimer(const std::atomic<bool>& flag, std::chrono::milliseconds grace, std::function<void()> expire);
  ~GraceTimer();
  GraceTimer(const GraceTimer&) = delete;
  GraceTimer& operator=(const GraceTimer&) = delete;

 private:
  std::mutex m_mu;
  std::condition_variable m_cv;
  bool m_done = false;
  std::thread m_thread;
};

}  // namespace knowthy::util
