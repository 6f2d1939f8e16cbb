#include "util/result.hpp"

namespace knowthy {

int exit_code(const Error& e) {
  switch (e.kind) {
    case ErrorKind::bad_input: return 2;
    case ErrorKind::locked: return 75;
    case ErrorKind::failed: break;
  }
  return 1;
}

std::string format_error(const Error& e) {
  std::string s = "knowthy: error: " + e.what;
  if (!e.why.empty()) s += ": " + e.why;
  if (!e.hint.empty()) s += "\nhint: " + e.hint;
  return s;
}

}  // namespace knowthy
