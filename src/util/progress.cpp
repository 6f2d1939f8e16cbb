#include "util/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace knowthy::util {
using clock = std::chrono::steady_clock;

Progress::Progress(std::string label, std::uint64_t total, std::string unit, bool enabled)
    : m_label(std::move(label)),
      m_unit(std::move(unit)),
      m_total(total),
      m_enabled(enabled && ::isatty(STDERR_FILENO)),
      m_start(clock::now()),
      m_last(m_start) {}

Progress::~Progress() { finish(); }

void Progress::update(std::uint64_t done) {
  m_done = done;
  if (!m_enabled) return;
  auto now = clock::now();
  if (now - m_last < std::chrono::milliseconds(100)) return;
  m_last = now;
  draw(false);
}

void Progress::finish() {
  if (!m_enabled || m_finished) return;
  m_finished = true;
  m_done = m_total;
  draw(true);
  std::fputc('\n', stderr);
}

namespace {
std::string human(double v, const std::string& unit) {
  char buf[32];
  if (unit == "B") {
    const char* u[] = {"B", "KB", "MB", "GB", "TB"};
    int i = 0;
    while (v >= 1000 && i < 4) v /= 1000, ++i;
    std::snprintf(buf, sizeof buf, "%.1f %s", v, u[i]);
  } else {
    std::snprintf(buf, sizeof buf, v < 10 ? "%.2f %s" : "%.0f %s", v, unit.c_str());
  }
  return buf;
}
}  // namespace

void Progress::draw(bool final) {
  double secs = std::chrono::duration<double>(clock::now() - m_start).count();
  double rate = secs > 0 ? static_cast<double>(m_done) / secs : 0;
  double frac = m_total ? static_cast<double>(m_done) / static_cast<double>(m_total) : 1.0;
  if (frac > 1) frac = 1;
  constexpr int k_width = 28;
  int fill = static_cast<int>(frac * k_width);
  std::string bar(static_cast<size_t>(fill), '#');
  bar.append(static_cast<size_t>(k_width - fill), '.');
  double eta = rate > 0 && m_total > m_done ? static_cast<double>(m_total - m_done) / rate : 0;
  std::fprintf(stderr, "\r%s [%s] %3.0f%%  %s/s  %s %.0fs  %s   ", m_label.c_str(), bar.c_str(), frac * 100,
               human(rate, m_unit).c_str(), final ? "in" : "ETA", final ? secs : eta, m_detail.c_str());
  std::fflush(stderr);
}

}  // namespace knowthy::util
