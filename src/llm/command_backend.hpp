#pragma once
// The command backend: an external program (e.g. a local agent's CLI) reads the prompt on stdin
// and prints the answer. A configured regular expression picks the session id out of its output,
// and a resume command continues that session with only the new message.
#include <chrono>
#include <memory>
#include <optional>
#include <regex>
#include <string>

#include "llm/backend.hpp"
#include "util/process.hpp"

namespace knowthy::llm {

struct CommandOptions {
  std::string command;         // run with /bin/sh -c
  std::string resume_command;  // {session} is replaced by the (shell-quoted) session id
  std::string session_regex;
  std::chrono::milliseconds timeout{600'000};
};

class CommandBackend final : public ModelBackend {
 public:
  // Bad input when the command is empty or the regex does not compile.
  static Result<std::unique_ptr<CommandBackend>> create(CommandOptions options, ProcessRunner& runner);

  BackendInfo info() const override;
  std::vector<Result<Completion>> generate(std::span<const ChatRequest> requests) override;
  using ModelBackend::generate;
  Result<Score> score(std::string_view prompt, std::string_view completion) override;

 private:
  CommandBackend(CommandOptions options, ProcessRunner& runner);
  Result<Completion> run_one(const ChatRequest& request);

  CommandOptions m_options;
  ProcessRunner& m_runner;
  std::optional<std::regex> m_session_re;
};

}  // namespace knowthy::llm
