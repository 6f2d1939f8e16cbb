#pragma once
// Runs an external command: writes `input` to its stdin, collects stdout and stderr, and kills
// its whole process group when the timeout passes. Behind an interface so tests can fake it.
#include <chrono>
#include <string>

#include "util/result.hpp"

namespace knowthy {

struct ProcessResult {
  int exit_code = 0;  // 128 + signal when killed by one
  bool timed_out = false;
  std::string out;
  std::string err;
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // `command` runs under /bin/sh -c. Fails only when the process cannot be started.
  virtual Result<ProcessResult> run(const std::string& command, const std::string& input,
                                    std::chrono::milliseconds timeout) = 0;
};

class SystemProcessRunner final : public ProcessRunner {
 public:
  Result<ProcessResult> run(const std::string& command, const std::string& input,
                            std::chrono::milliseconds timeout) override;
};

}  // namespace knowthy
