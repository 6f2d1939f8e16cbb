#include "util/crash_point.hpp"

#include <csignal>
#include <cstdlib>
#include <string>

namespace knowthy::util {

namespace {

struct Target {
  std::string name;
  long remaining = 0;
  bool abort = false;  // std::abort() (as a failed assert in a library does) instead of SIGKILL
};

Target* target() {
  static Target* t = []() -> Target* {
    const char* env = std::getenv("KNOWTHY_CRASH_AT");
    if (!env || !*env) return nullptr;
    std::string s(env);
    static Target t;
    if (s.size() > 6 && s.ends_with(":abort")) {
      t.abort = true;
      s.resize(s.size() - 6);
    }
    const auto colon = s.rfind(':');
    t.name = s.substr(0, colon);
    t.remaining = colon == std::string::npos ? 1 : std::strtol(s.c_str() + colon + 1, nullptr, 10);
    return &t;
  }();
  return t;
}

}  // namespace

void crash_point(std::string_view name) {
  Target* t = target();
  if (!t || name != t->name) return;
  if (--t->remaining > 0) return;
  if (t->abort) std::abort();
  std::raise(SIGKILL);
}

}  // namespace knowthy::util
