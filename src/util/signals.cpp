#include "util/signals.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace knowthy::util {

namespace {

std::atomic<bool> g_cancel{false};
std::atomic<bool> g_reload{false};
std::atomic<int> g_signal{0};
int g_depth = 0;           // live CancelOnSignal scopes (the main thread makes them)
int g_wake[2] = {-1, -1};  // the self-pipe: made once, kept for the process's life

void wake() {
  const int saved = errno;
  if (g_wake[1] >= 0) {
    const ssize_t n = ::write(g_wake[1], "x", 1);  // a full pipe is awake already
    (void)n;
  }
  errno = saved;
}

extern "C" void on_cancel_signal(int sig) {
  g_signal.store(sig);
  g_cancel.store(true);
  wake();
}

extern "C" void on_reload_signal(int) {
  g_reload.store(true);
  wake();
}

}  // namespace

CancelOnSignal::CancelOnSignal(Hup hup) {
  if (g_depth++ > 0) return;
  m_outer = true;
  if (g_wake[0] < 0) (void)::pipe2(g_wake, O_NONBLOCK | O_CLOEXEC);
  g_cancel.store(false);
  g_reload.store(false);
  g_signal.store(0);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction sa {};
    sa.sa_handler = s == SIGHUP && hup == Hup::reloads ? on_reload_signal : on_cancel_signal;
    sigemptyset(&sa.sa_mask);  // no SA_RESTART: a blocking call returns EINTR and sees the flag
    struct sigaction old {};
    ::sigaction(s, &sa, &old);
    m_saved.emplace_back(s, old);
  }
}

CancelOnSignal::~CancelOnSignal() {
  --g_depth;
  if (!m_outer) return;
  for (auto& [s, old] : m_saved) ::sigaction(s, &old, nullptr);
}

const std::atomic<bool>& CancelOnSignal::flag() { return g_cancel; }
int CancelOnSignal::signal() { return g_signal.load(); }
bool CancelOnSignal::take_reload() { return g_reload.exchange(false); }

void CancelOnSignal::sleep(std::chrono::milliseconds d) {
  if (g_wake[0] < 0) {
    std::this_thread::sleep_for(d);
    return;
  }
  struct pollfd p {
    g_wake[0], POLLIN, 0
  };
  (void)::poll(&p, 1, static_cast<int>(std::max<long long>(0, d.count())));
  char buf[64];
  while (::read(g_wake[0], buf, sizeof buf) > 0) {
  }
}

GraceTimer::GraceTimer(const std::atomic<bool>& flag, std::chrono::milliseconds grace, std::function<void()> expire) {
  m_thread = std::thread([this, &flag, grace, expire = std::move(expire)] {
    std::unique_lock lk(m_mu);
    // The flag is set from a signal handler, which cannot notify: look at it five times a second.
    while (!m_done && !flag.load()) m_cv.wait_for(lk, std::chrono::milliseconds(200));
    if (m_done) return;
    if (m_cv.wait_for(lk, grace, [this] { return m_done; })) return;
    lk.unlock();
    expire();
  });
}

GraceTimer::~GraceTimer() {
  {
    std::lock_guard lk(m_mu);
    m_done = true;
  }
  m_cv.notify_all();
  m_thread.join();
}

}  // namespace knowthy::util
