#pragma once
// A one-line progress bar with rate and ETA on a terminal (stderr); silent when stderr is not a
// TTY, so logs and pipes stay clean.
#include <chrono>
#include <cstdint>
#include <string>

namespace knowthy::util {

class Progress {
 public:
  Progress(std::string label, std::uint64_t total, std::string unit, bool enabled = true);
  ~Progress();
  void update(std::uint64_t done);  // redraws at most ~10 times a second
  // Extra text after the bar (e.g. "1200 tweets, 310 tokens/s"), shown from the next redraw.
  void set_detail(std::string detail) { m_detail = std::move(detail); }
  void finish();

 private:
  void draw(bool final);
  std::string m_label, m_unit, m_detail;
  std::uint64_t m_total, m_done = 0;
  bool m_enabled;
  bool m_finished = false;
  std::chrono::steady_clock::time_point m_start, m_last;
};

}  // namespace knowthy::util
