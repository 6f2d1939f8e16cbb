#pragma once
// The error type every lower layer returns; commands turn it into a message and an exit code.
#include <expected>
#include <string>
#include <utility>

namespace knowthy {

enum class ErrorKind {
  failed,     // the operation failed (exit 1)
  bad_input,  // bad usage or bad input (exit 2)
  locked,     // another loop run holds the lock (exit 75)
};

struct Error {
  ErrorKind kind = ErrorKind::failed;
  std::string what;        // the thing that failed: a file, a record, a setting
  std::string why;         // the cause
  std::string hint;        // what the user can do about it (may be empty)
  int retry_after_ms = 0;  // a `failed` error's source asks to be tried again no sooner than this
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(std::string what, std::string why, std::string hint = {}) {
  return std::unexpected(Error{ErrorKind::failed, std::move(what), std::move(why), std::move(hint)});
}

inline std::unexpected<Error> bad_input(std::string what, std::string why, std::string hint = {}) {
  return std::unexpected(Error{ErrorKind::bad_input, std::move(what), std::move(why), std::move(hint)});
}

int exit_code(const Error& e);
std::string format_error(const Error& e);  // "knowthy: error: <what>: <why>\nhint: <hint>"

}  // namespace knowthy
