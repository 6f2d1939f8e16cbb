#pragma once
// Fault injection for the crash tests: with KNOWTHY_CRASH_AT=<name>:<n> in the environment, the
// n-th time the process passes crash_point("<name>") it kills itself with SIGKILL, exactly as
// `kill -9` would; with KNOWTHY_CRASH_AT=<name>:<n>:abort it calls std::abort(), as a failed assert
// inside llama.cpp does. Without the variable a crash point costs one branch.
#include <string_view>

namespace knowthy::util {

void crash_point(std::string_view name);

}  // namespace knowthy::util
