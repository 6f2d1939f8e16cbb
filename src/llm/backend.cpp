#include "llm/backend.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

namespace knowthy::llm {

const char* finish_reason_name(FinishReason r) { return r == FinishReason::length ? "length" : "stop"; }

std::chrono::milliseconds retry_wait(int backoff_ms, int attempt, const Error& e) {
  constexpr std::chrono::milliseconds k_max_wait{10 * 60 * 1000};
  const auto wait = std::chrono::milliseconds(static_cast<std::int64_t>(backoff_ms) << std::min(attempt, 20));
  return std::min(std::max(wait, std::chrono::milliseconds(e.retry_after_ms)), k_max_wait);
}

Result<Completion> generate_retrying(ModelBackend& backend, const ChatRequest& request, util::Clock& clock, int retries,
                                     int backoff_ms) {
  for (int attempt = 0;; ++attempt) {
    auto c = backend.generate(request);
    if (c || c.error().kind != ErrorKind::failed || attempt >= retries) return c;
    clock.sleep_for(retry_wait(backoff_ms, attempt, c.error()));
  }
}

std::string new_session_id(std::string_view backend) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{}-{:016x}", backend, rng());
}

std::string render_transcript(std::span<const Message> messages) {
  std::string out;
  for (const auto& m : messages) out += "### " + m.role + ":\n" + m.content + "\n\n";
  out += "### assistant:\n";
  return out;
}

}  // namespace knowthy::llm
