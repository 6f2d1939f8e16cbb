#include "llm/backend.hpp"

#include <fmt/format.h>

#include <random>

namespace knowthy::llm {

const char* finish_reason_name(FinishReason r) { return r == FinishReason::length ? "length" : "stop"; }

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
