#pragma once
// Time behind an interface: the batch runner waits between retries through it, so tests can run
// backoff schedules instantly with a fake.
#include <chrono>

namespace knowthy::util {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point now() = 0;
  virtual void sleep_for(std::chrono::milliseconds d) = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() override;
  void sleep_for(std::chrono::milliseconds d) override;
};

}  // namespace knowthy::util
