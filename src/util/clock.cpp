#include "util/clock.hpp"

#include <thread>

namespace knowthy::util {

std::chrono::steady_clock::time_point SystemClock::now() { return std::chrono::steady_clock::now(); }

void SystemClock::sleep_for(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

}  // namespace knowthy::util
